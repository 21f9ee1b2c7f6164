//! One module per top-level command.

pub(crate) mod audit;
pub(crate) mod bench;
pub(crate) mod bench_mqtt;
pub(crate) mod city;
pub(crate) mod device;
pub(crate) mod log;
pub(crate) mod rules;
pub(crate) mod serve;
pub(crate) mod simulate;
pub(crate) mod user;
pub(crate) mod vision;
pub(crate) mod vision_eval;
