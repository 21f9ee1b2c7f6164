//! Minimum-cost assignment of rows to columns: tracks to detections, truths to hypotheses.
//!
//! The solver is the shortest-augmenting-path form of the Hungarian method (Kuhn 1955,
//! Munkres 1957, with the row/column potentials of Jonker and Volgenant 1987): `O(n² m)` for
//! `n ≤ m`. Two ways of leaving pairs out are offered on top of it:
//!
//! - [`assign`] matches a pair only when it is worth it: the chosen pairs minimise the sum of
//!   `cost - max_cost`, so a pair costing more than `max_cost` is never matched (ByteTrack's
//!   association; same optimum as `lapjv` with `cost_limit`).
//! - [`assign_most`] first matches as many pairs costing at most `max_cost` as possible, then
//!   takes the cheapest such set (the CLEAR-MOT matching that motmetrics performs).
//!
//! A cost that is not a finite number (NaN, ±∞) marks a pair that may never be matched.

/// A dense matrix of costs, one row per left item and one column per right item.
#[derive(Clone, Debug, PartialEq)]
pub struct CostMatrix {
    rows: usize,
    cols: usize,
    /// Row-major: the cost of `(row, col)` is at `row * cols + col`.
    costs: Vec<f64>,
}

impl CostMatrix {
    /// Returns the matrix whose entry `(row, col)` is `cost(row, col)`.
    pub fn from_fn(rows: usize, cols: usize, mut cost: impl FnMut(usize, usize) -> f64) -> CostMatrix {
        let mut costs = Vec::with_capacity(rows * cols);
        for row in 0..rows {
            for col in 0..cols {
                costs.push(cost(row, col));
            }
        }
        CostMatrix { rows, cols, costs }
    }

    /// Returns the number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Returns the number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Returns the cost of pairing `row` with `col`; panics when either is out of range.
    pub fn get(&self, row: usize, col: usize) -> f64 {
        assert!(row < self.rows && col < self.cols, "({row}, {col}) is outside a {}×{} matrix", self.rows, self.cols);
        self.costs[row * self.cols + col]
    }
}

/// The outcome of an assignment: matched pairs and what was left alone, each sorted.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Assignment {
    /// `(row, col)` pairs, sorted by row.
    pub pairs: Vec<(usize, usize)>,
    /// Rows left without a column, ascending.
    pub unmatched_rows: Vec<usize>,
    /// Columns left without a row, ascending.
    pub unmatched_cols: Vec<usize>,
}

impl Assignment {
    /// Returns the sum of the costs of the matched pairs.
    pub fn total_cost(&self, costs: &CostMatrix) -> f64 {
        self.pairs.iter().map(|&(row, col)| costs.get(row, col)).sum()
    }
}

/// Matches the pairs that minimise the total of `cost - max_cost`: a pair is matched only when
/// it costs at most `max_cost`, and cheap pairs are preferred to many pairs.
///
/// A `max_cost` of `+∞` matches as many pairs as possible (like [`assign_most`]); a NaN or
/// `-∞` one matches nothing.
pub fn assign(costs: &CostMatrix, max_cost: f64) -> Assignment {
    if max_cost == f64::INFINITY {
        return assign_most(costs, max_cost);
    }
    if max_cost.is_nan() || max_cost == f64::NEG_INFINITY {
        return collect(costs, &[], max_cost);
    }
    // Leaving a row unmatched is as good as pairing it at a cost of exactly `max_cost`, so the
    // pairs not worth matching all weigh 0 and a full assignment finds the best partial one.
    let weight = |row: usize, col: usize| {
        let cost = costs.get(row, col);
        if allowed(cost, max_cost) { cost - max_cost } else { 0.0 }
    };
    let pairs = solve_full(costs.rows, costs.cols, weight);
    collect(costs, &pairs, max_cost)
}

/// Matches as many pairs costing at most `max_cost` as possible, and among those sets the
/// cheapest: the matching of the CLEAR-MOT metrics (Bernardin and Stiefelhagen 2008).
pub fn assign_most(costs: &CostMatrix, max_cost: f64) -> Assignment {
    let smaller_side = costs.rows.min(costs.cols);
    let largest_magnitude = costs
        .costs
        .iter()
        .filter(|cost| allowed(**cost, max_cost))
        .fold(0.0_f64, |largest, cost| largest.max(cost.abs()))
        + 1.0;
    // A forbidden pair weighs more than any difference between two sets of allowed pairs of the
    // same size (at most `2 × side × largest`), so every optimum has the fewest forbidden pairs.
    let forbidden_weight = 2.0 * smaller_side as f64 * largest_magnitude + 1.0;
    let weight = |row: usize, col: usize| {
        let cost = costs.get(row, col);
        if allowed(cost, max_cost) { cost } else { forbidden_weight }
    };
    let pairs = solve_full(costs.rows, costs.cols, weight);
    collect(costs, &pairs, max_cost)
}

fn allowed(cost: f64, max_cost: f64) -> bool {
    cost.is_finite() && cost <= max_cost
}

/// Keeps the allowed pairs of a full assignment and lists everything else as unmatched.
fn collect(costs: &CostMatrix, full_pairs: &[(usize, usize)], max_cost: f64) -> Assignment {
    let mut row_matched = vec![false; costs.rows];
    let mut col_matched = vec![false; costs.cols];
    let mut pairs = Vec::new();
    for &(row, col) in full_pairs {
        if allowed(costs.get(row, col), max_cost) {
            row_matched[row] = true;
            col_matched[col] = true;
            pairs.push((row, col));
        }
    }
    pairs.sort_unstable();
    let unmatched_rows = (0..costs.rows).filter(|&row| !row_matched[row]).collect();
    let unmatched_cols = (0..costs.cols).filter(|&col| !col_matched[col]).collect();
    Assignment { pairs, unmatched_rows, unmatched_cols }
}

/// Returns a minimum-weight assignment that matches every row (when `rows ≤ cols`) or every
/// column (otherwise). Every weight must be finite.
fn solve_full(rows: usize, cols: usize, weight: impl Fn(usize, usize) -> f64) -> Vec<(usize, usize)> {
    if rows == 0 || cols == 0 {
        return Vec::new();
    }
    if rows <= cols {
        solve_tall_or_square(rows, cols, weight)
    } else {
        let transposed = solve_tall_or_square(cols, rows, |col, row| weight(row, col));
        transposed.into_iter().map(|(col, row)| (row, col)).collect()
    }
}

/// The Hungarian method with potentials for `n ≤ m`. Indices are 1-based inside, with row and
/// column 0 as the virtual start of each augmenting path.
fn solve_tall_or_square(n: usize, m: usize, weight: impl Fn(usize, usize) -> f64) -> Vec<(usize, usize)> {
    debug_assert!(n <= m);
    let mut row_potential = vec![0.0_f64; n + 1];
    let mut col_potential = vec![0.0_f64; m + 1];
    // `row_of_col[j]` is the row matched to column `j` (0: none).
    let mut row_of_col = vec![0_usize; m + 1];
    // `previous_col[j]` is the column before `j` on the current shortest path.
    let mut previous_col = vec![0_usize; m + 1];

    for row in 1..=n {
        row_of_col[0] = row;
        let mut current_col = 0;
        let mut min_slack = vec![f64::INFINITY; m + 1];
        let mut visited = vec![false; m + 1];
        loop {
            visited[current_col] = true;
            let current_row = row_of_col[current_col];
            let mut delta = f64::INFINITY;
            let mut next_col = 0;
            for col in 1..=m {
                if visited[col] {
                    continue;
                }
                let slack = weight(current_row - 1, col - 1) - row_potential[current_row] - col_potential[col];
                if slack < min_slack[col] {
                    min_slack[col] = slack;
                    previous_col[col] = current_col;
                }
                if min_slack[col] < delta {
                    delta = min_slack[col];
                    next_col = col;
                }
            }
            // At most `row - 1 < m` columns are matched, so an unvisited column always exists and
            // finite weights give it a finite slack.
            if next_col == 0 {
                debug_assert!(false, "no unvisited column: weights must be finite");
                break;
            }
            for col in 0..=m {
                if visited[col] {
                    row_potential[row_of_col[col]] += delta;
                    col_potential[col] -= delta;
                } else {
                    min_slack[col] -= delta;
                }
            }
            current_col = next_col;
            if row_of_col[current_col] == 0 {
                break;
            }
        }
        // Flip the augmenting path back to its start.
        while current_col != 0 {
            let before = previous_col[current_col];
            row_of_col[current_col] = row_of_col[before];
            current_col = before;
        }
    }

    (1..=m).filter(|&col| row_of_col[col] != 0).map(|col| (row_of_col[col] - 1, col - 1)).collect()
}
