#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = cityops::fuzzing::v2_binary(data);
});
