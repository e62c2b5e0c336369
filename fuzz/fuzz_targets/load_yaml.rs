//! cargo-fuzz target `load_yaml`: see [`meterctl_fuzz::load_yaml`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| meterctl_fuzz::load_yaml(data));
