//! cargo-fuzz target `load_json`: see [`meterctl_fuzz::load_json`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| meterctl_fuzz::load_json(data));
