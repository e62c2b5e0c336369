//! cargo-fuzz target `glob`: see [`meterctl_fuzz::glob`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| meterctl_fuzz::glob(data));
