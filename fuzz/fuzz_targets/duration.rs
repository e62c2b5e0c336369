//! cargo-fuzz target `duration`: see [`meterctl_fuzz::duration`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| meterctl_fuzz::duration(data));
