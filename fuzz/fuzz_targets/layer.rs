#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| goaudit::fuzzing::layer(data));
