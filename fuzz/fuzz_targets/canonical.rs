//! cargo-fuzz target `canonical`: see [`meterctl_fuzz::canonical`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| meterctl_fuzz::canonical(data));
