//! The assignment solvers against brute force.

use proptest::prelude::*;
use vigie_vision::assign::{Assignment, CostMatrix, assign, assign_most};

/// Every partial matching of allowed pairs, as lists of `(row, col)`.
fn all_matchings(costs: &CostMatrix, max_cost: f64) -> Vec<Vec<(usize, usize)>> {
    fn extend(
        costs: &CostMatrix,
        max_cost: f64,
        row: usize,
        used: &mut Vec<bool>,
        current: &mut Vec<(usize, usize)>,
        out: &mut Vec<Vec<(usize, usize)>>,
    ) {
        if row == costs.rows() {
            out.push(current.clone());
            return;
        }
        extend(costs, max_cost, row + 1, used, current, out);
        for col in 0..costs.cols() {
            let cost = costs.get(row, col);
            if used[col] || !cost.is_finite() || cost > max_cost {
                continue;
            }
            used[col] = true;
            current.push((row, col));
            extend(costs, max_cost, row + 1, used, current, out);
            current.pop();
            used[col] = false;
        }
    }
    let mut out = Vec::new();
    extend(costs, max_cost, 0, &mut vec![false; costs.cols()], &mut Vec::new(), &mut out);
    out
}

fn cost_of(costs: &CostMatrix, pairs: &[(usize, usize)]) -> f64 {
    pairs.iter().map(|&(row, col)| costs.get(row, col)).sum()
}

/// Pairs are allowed, rows and columns each used once, and the unmatched lists complete them.
fn assert_consistent(costs: &CostMatrix, max_cost: f64, assignment: &Assignment) {
    let mut rows: Vec<usize> = assignment.pairs.iter().map(|pair| pair.0).collect();
    let mut cols: Vec<usize> = assignment.pairs.iter().map(|pair| pair.1).collect();
    for &(row, col) in &assignment.pairs {
        let cost = costs.get(row, col);
        assert!(cost.is_finite() && cost <= max_cost, "pair ({row}, {col}) costs {cost} > {max_cost}");
    }
    rows.extend(&assignment.unmatched_rows);
    cols.extend(&assignment.unmatched_cols);
    rows.sort_unstable();
    cols.sort_unstable();
    assert_eq!(rows, (0..costs.rows()).collect::<Vec<_>>());
    assert_eq!(cols, (0..costs.cols()).collect::<Vec<_>>());
}

fn matrix_strategy() -> impl Strategy<Value = CostMatrix> {
    (0_usize..=5, 0_usize..=5).prop_flat_map(|(rows, cols)| {
        // Some pairs are forbidden (NaN); integer-ish costs make ties common.
        proptest::collection::vec(prop_oneof![8 => (0_u32..10).prop_map(f64::from), 1 => Just(f64::NAN)], rows * cols)
            .prop_map(move |values| CostMatrix::from_fn(rows, cols, |row, col| values[row * cols + col] / 10.0))
    })
}

proptest! {
    #[test]
    fn assign_finds_the_cheapest_set_of_pairs_below_the_threshold(costs in matrix_strategy(), max_cost in 0.0_f64..1.0) {
        let assignment = assign(&costs, max_cost);
        assert_consistent(&costs, max_cost, &assignment);
        let best = all_matchings(&costs, max_cost)
            .iter()
            .map(|pairs| pairs.iter().map(|&(row, col)| costs.get(row, col) - max_cost).sum::<f64>())
            .fold(0.0_f64, f64::min);
        let ours: f64 = assignment.pairs.iter().map(|&(row, col)| costs.get(row, col) - max_cost).sum();
        prop_assert!((ours - best).abs() < 1e-9, "ours {ours}, best {best}");
    }

    #[test]
    fn assign_most_finds_the_largest_then_cheapest_set_of_pairs(costs in matrix_strategy(), max_cost in 0.0_f64..1.0) {
        let assignment = assign_most(&costs, max_cost);
        assert_consistent(&costs, max_cost, &assignment);
        let matchings = all_matchings(&costs, max_cost);
        let most = matchings.iter().map(Vec::len).max().unwrap_or(0);
        let cheapest = matchings
            .iter()
            .filter(|pairs| pairs.len() == most)
            .map(|pairs| cost_of(&costs, pairs))
            .fold(f64::INFINITY, f64::min);
        prop_assert_eq!(assignment.pairs.len(), most);
        if most > 0 {
            prop_assert!((assignment.total_cost(&costs) - cheapest).abs() < 1e-9);
        }
    }
}

#[test]
fn a_pair_above_the_threshold_stays_unmatched() {
    let costs = CostMatrix::from_fn(2, 2, |row, col| [[0.1, 0.9], [0.95, 0.85]][row][col]);
    let assignment = assign(&costs, 0.8);
    assert_eq!(assignment.pairs, vec![(0, 0)]);
    assert_eq!(assignment.unmatched_rows, vec![1]);
    assert_eq!(assignment.unmatched_cols, vec![1]);
}

#[test]
fn assign_prefers_one_cheap_pair_where_assign_most_takes_two() {
    // Row 0 likes column 0 (0.0); giving it up lets two pairs of 0.45 happen.
    let costs = CostMatrix::from_fn(2, 2, |row, col| [[0.0, 0.45], [0.45, f64::NAN]][row][col]);
    assert_eq!(assign(&costs, 0.5).pairs, vec![(0, 0)]);
    assert_eq!(assign_most(&costs, 0.5).pairs, vec![(0, 1), (1, 0)]);
}

#[test]
fn rectangular_and_empty_matrices() {
    let wide = CostMatrix::from_fn(1, 3, |_, col| [0.7, 0.2, 0.4][col]);
    assert_eq!(assign(&wide, 1.0).pairs, vec![(0, 1)]);
    let tall = CostMatrix::from_fn(3, 1, |row, _| [0.7, 0.2, 0.4][row]);
    assert_eq!(assign_most(&tall, 1.0).pairs, vec![(1, 0)]);
    assert_eq!(assign(&tall, 1.0).unmatched_rows, vec![0, 2]);
    let empty = CostMatrix::from_fn(0, 4, |_, _| 0.0);
    assert_eq!(assign(&empty, 1.0).unmatched_cols, vec![0, 1, 2, 3]);
    assert!(assign(&wide, f64::NAN).pairs.is_empty());
    assert_eq!(assign(&wide, f64::INFINITY).pairs, vec![(0, 1)]);
}
