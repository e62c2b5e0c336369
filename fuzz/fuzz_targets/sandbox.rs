//! cargo-fuzz target `sandbox`: see [`meterctl_fuzz::sandbox`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| meterctl_fuzz::sandbox(data));
