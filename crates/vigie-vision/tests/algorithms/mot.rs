//! MOTChallenge parsing and metrics, on hand-made sequences and on motmetrics' TUD-Campus data.

use std::path::PathBuf;

use vigie_vision::mot::{self, MotError, MotRow, ParseProblem, count_error, evaluate};

fn rows(text: &str) -> Vec<MotRow> {
    mot::parse(text).expect("valid MOTChallenge text")
}

#[test]
fn parses_commas_blanks_and_optional_fields() {
    let parsed = rows("1,3,10.5,20,30,60,0.9,-1,-1,-1\n\n2 3 11 21 30 60\n3, 4, 0, 0, 5, 5, 1\n");
    assert_eq!(parsed.len(), 3);
    assert_eq!(
        parsed[0],
        MotRow {
            frame: 1,
            id: 3,
            left: 10.5,
            top: 20.0,
            width: 30.0,
            height: 60.0,
            conf: 0.9,
            extra: [Some(-1.0), Some(-1.0), Some(-1.0)]
        }
    );
    assert_eq!((parsed[1].frame, parsed[1].conf, parsed[1].extra), (2, 1.0, [None; 3]));
    assert_eq!(parsed[2].id, 4);
    assert_eq!(parsed[0].to_string(), "1,3,10.5,20,30,60,0.9,-1,-1,-1");
    assert_eq!(rows(&parsed[0].to_string()), vec![parsed[0]]);
}

#[test]
fn parse_errors_name_their_line() {
    let problem = |text: &str| match mot::parse(text) {
        Err(MotError::Parse { line, problem }) => (line, problem),
        other => panic!("expected a parse error, got {other:?}"),
    };
    assert_eq!(problem("1,1,0,0,1,1\n1,2,3"), (2, ParseProblem::FieldCount(3)));
    assert_eq!(
        problem("1,1,0,0,1,1\n\n2,x,0,0,1,1"),
        (3, ParseProblem::NotANumber { field: "id", value: "x".to_owned() })
    );
    assert_eq!(problem("0,1,0,0,1,1"), (1, ParseProblem::BadFrame(0.0)));
    assert_eq!(problem("1.5,1,0,0,1,1"), (1, ParseProblem::BadFrame(1.5)));
    assert_eq!(problem("1,1,0,0,-1,1"), (1, ParseProblem::NegativeSize));
    assert_eq!(problem("1,1,0,0,1,inf"), (1, ParseProblem::NotFinite { field: "height" }));
    assert_eq!(problem("1,1,0,0,1,1\n1,1,5,5,1,1"), (2, ParseProblem::DuplicateId { frame: 1, id: 1 }));
    assert_eq!(problem("1,1,0,0,1,1,1,1,1,1,1"), (1, ParseProblem::FieldCount(11)));
    // Unlabelled detections (id −1) may share a frame.
    assert_eq!(rows("1,-1,0,0,1,1\n1,-1,5,5,1,1").len(), 2);
    let message = mot::parse("1,1,0,0,1").expect_err("five fields").to_string();
    assert_eq!(message, "line 1: expected 6 to 10 fields, found 5");
}

#[test]
fn a_perfect_tracker_scores_one() {
    let truth = rows("1,1,0,0,10,10\n1,2,50,0,10,10\n2,1,1,0,10,10\n2,2,49,0,10,10\n3,1,2,0,10,10");
    let metrics = evaluate(&truth, &truth, 0.5);
    assert_eq!((metrics.frames, metrics.gt_objects, metrics.true_positives), (3, 5, 5));
    assert_eq!((metrics.false_positives, metrics.false_negatives, metrics.id_switches), (0, 0, 0));
    assert_eq!(
        (metrics.mota, metrics.idf1, metrics.precision, metrics.recall, metrics.motp),
        (1.0, 1.0, 1.0, 1.0, 0.0)
    );
    assert_eq!((metrics.mostly_tracked, metrics.partially_tracked, metrics.mostly_lost), (2, 0, 0));
    assert_eq!(metrics.count_mae, 0.0);
}

#[test]
fn an_identity_switch_counts_once_and_halves_idf1() {
    let truth = rows("1,1,0,0,10,10\n2,1,0,0,10,10\n3,1,0,0,10,10\n4,1,0,0,10,10");
    let hypotheses = rows("1,7,0,0,10,10\n2,7,0,0,10,10\n3,8,0,0,10,10\n4,8,0,0,10,10");
    let metrics = evaluate(&truth, &hypotheses, 0.5);
    assert_eq!((metrics.true_positives, metrics.id_switches, metrics.fragmentations), (4, 1, 0));
    assert_eq!(metrics.mota, 0.75);
    assert_eq!((metrics.idtp, metrics.idfp, metrics.idfn), (2, 2, 2));
    assert_eq!(metrics.idf1, 0.5);
}

#[test]
fn previous_matches_are_kept_while_they_overlap_enough() {
    // Frame 2: hypothesis 8 fits object 1 better than 7 does, but 7 still overlaps it by
    // IoU 0.67, so the match is kept and no switch happens.
    let truth = rows("1,1,0,0,10,10\n2,1,0,0,10,10");
    let hypotheses = rows("1,7,0,0,10,10\n2,7,2,0,10,10\n2,8,0,0,10,10");
    let metrics = evaluate(&truth, &hypotheses, 0.5);
    assert_eq!((metrics.id_switches, metrics.false_positives), (0, 1));
    assert!((metrics.motp - (1.0 - 80.0 / 120.0) / 2.0).abs() < 1e-12);
}

#[test]
fn misses_false_positives_fragmentations_and_track_ratios() {
    // Object 1 is found in frames 1, 3, 5 and missed in 2, 4 and 6: two fragmentations (the
    // miss after the last match is none). Object 2 is never found; a far-away box is a false
    // positive.
    let truth = rows(
        "1,1,0,0,10,10\n2,1,0,0,10,10\n3,1,0,0,10,10\n4,1,0,0,10,10\n5,1,0,0,10,10\n6,1,0,0,10,10\n\
         1,2,100,0,10,10\n2,2,100,0,10,10",
    );
    let hypotheses = rows("1,5,0,0,10,10\n3,5,1,0,10,10\n5,5,0,1,10,10\n5,6,300,300,10,10");
    let metrics = evaluate(&truth, &hypotheses, 0.5);
    assert_eq!((metrics.true_positives, metrics.false_negatives, metrics.false_positives), (3, 5, 1));
    assert_eq!(metrics.fragmentations, 2);
    assert_eq!((metrics.mostly_tracked, metrics.partially_tracked, metrics.mostly_lost), (0, 1, 1));
    assert_eq!(metrics.recall, 3.0 / 8.0);
    assert_eq!(metrics.precision, 3.0 / 4.0);
    assert_eq!(metrics.mota, 1.0 - 6.0 / 8.0);
    // Per-frame counts: |2−1|, |2−0|, |1−1|, |1−0|, |1−2|, |1−0| over 6 frames.
    assert_eq!(metrics.count_mae, 6.0 / 6.0);
}

#[test]
fn ground_truth_rows_with_zero_confidence_are_ignored() {
    let truth = rows("1,1,0,0,10,10,1\n1,2,50,50,10,10,0\n2,2,50,50,10,10,0");
    let hypotheses = rows("1,1,0,0,10,10,0.3");
    let metrics = evaluate(&truth, &hypotheses, 0.5);
    assert_eq!((metrics.gt_objects, metrics.frames, metrics.false_negatives, metrics.mota), (1, 1, 0, 1.0));
}

#[test]
fn unlabelled_detections_can_be_scored() {
    // Detection files have no identities (id −1, repeated): detection figures still hold.
    let truth = rows("1,1,0,0,10,10\n1,2,5,0,10,10\n2,1,0,0,10,10");
    let detections = rows("1,-1,0,0,10,10\n1,-1,5,0,10,10\n1,-1,90,90,10,10\n2,-1,0,0,10,10");
    let metrics = evaluate(&truth, &detections, 0.5);
    assert_eq!((metrics.true_positives, metrics.false_positives, metrics.false_negatives), (3, 1, 0));
    assert!(metrics.idtp <= metrics.gt_objects && metrics.idtp <= metrics.hyp_objects);
}

#[test]
fn count_error_compares_per_frame_counts() {
    let error = count_error(&[10, 12, 8, 0], &[9, 14, 8, 1]).expect("same length");
    assert_eq!(error.frames, 4);
    assert_eq!(error.mean_absolute_error, 1.0);
    assert_eq!(error.mean_error, 0.5);
    assert!((error.root_mean_square_error - (6.0_f64 / 4.0).sqrt()).abs() < 1e-12);
    assert_eq!(error.relative_absolute_error, 4.0 / 30.0);
    assert!(matches!(count_error(&[1, 2], &[1]), Err(MotError::CountLengths { truth: 2, predicted: 1 })));
}

fn tud_campus_file(name: &str) -> Vec<MotRow> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets/motmetrics/TUD-Campus").join(name);
    assert!(
        path.exists(),
        "{} is missing: run `python3 scripts/fetch-assets.py` from the repository root to fetch it",
        path.display()
    );
    mot::read_file(&path).unwrap_or_else(|error| panic!("{error}"))
}

/// The figures motmetrics 1.4.0 (with numpy 1.26, pandas 2.2, scipy 1.13) computes on the
/// TUD-Campus files it ships, with `mm.utils.compare_to_groundtruth(gt, ts, 'iou', distth=0.5)`
/// and `mm.metrics.motchallenge_metrics`.
#[test]
fn tud_campus_metrics_equal_those_of_motmetrics() {
    let truth = tud_campus_file("gt.txt");
    let hypotheses = tud_campus_file("test.txt");
    let metrics = evaluate(&truth, &hypotheses, 0.5);

    assert_eq!(metrics.frames, 71);
    assert_eq!(metrics.gt_objects, 359);
    assert_eq!(metrics.hyp_objects, 222);
    assert_eq!(metrics.gt_ids, 8);
    assert_eq!(metrics.true_positives, 209);
    assert_eq!(metrics.false_positives, 13);
    assert_eq!(metrics.false_negatives, 150);
    assert_eq!(metrics.id_switches, 7);
    assert_eq!(metrics.fragmentations, 7);
    assert_eq!((metrics.mostly_tracked, metrics.partially_tracked, metrics.mostly_lost), (1, 6, 1));
    assert_eq!((metrics.idtp, metrics.idfp, metrics.idfn), (162, 60, 197));
    let close = |ours: f64, reference: f64, name: &str| {
        assert!((ours - reference).abs() < 1e-9, "{name}: ours {ours}, motmetrics {reference}");
    };
    close(metrics.mota, 0.5264623955431755, "MOTA");
    close(metrics.motp, 0.2772010846394618, "MOTP");
    close(metrics.idf1, 0.5576592082616179, "IDF1");
    close(metrics.idp, 0.7297297297297297, "IDP");
    close(metrics.idr, 0.45125348189415043, "IDR");
    close(metrics.precision, 0.9414414414414415, "precision");
    close(metrics.recall, 0.5821727019498607, "recall");
}
