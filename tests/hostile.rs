//! Hostile model files: a card whose weights name climbs out of the models
//! folder, a card nested thousands of levels deep, weights whose header
//! claims terabytes. Each is refused with a clear error, without reading
//! outside the folder, overflowing the stack or allocating what it claims.

#![allow(clippy::unwrap_used)] // test helpers: a failed step should fail the test

mod common;

use std::path::{Path, PathBuf};

use cityops::models::bundle::load_bundle;

/// The shipped incident model copied into `dir`, its card edited by `edit`.
fn copy_with_card(dir: &Path, edit: impl Fn(&mut serde_json::Value)) -> PathBuf {
    let shipped = common::shipped_models();
    std::fs::copy(
        shipped.join("incident_risk.safetensors"),
        dir.join("incident_risk.safetensors"),
    )
    .unwrap();
    let mut card: serde_json::Value =
        serde_json::from_slice(&std::fs::read(shipped.join("incident_risk.json")).unwrap())
            .unwrap();
    edit(&mut card);
    let path = dir.join("incident_risk.json");
    std::fs::write(&path, serde_json::to_vec(&card).unwrap()).unwrap();
    path
}

#[test]
fn a_weights_name_that_climbs_out_of_the_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "../../etc/passwd",
        "/etc/passwd",
        "sub/incident_risk.safetensors",
    ] {
        let card = copy_with_card(dir.path(), |c| c["weights"]["file"] = name.into());
        let err = load_bundle(&card).err().expect("refused").to_string();
        assert!(err.contains("is not a plain file name"), "{name}: {err}");
    }
}

#[test]
fn a_card_nested_thousands_deep_is_an_error_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deep.json");
    let depth = 100_000;
    let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    std::fs::write(&path, text).unwrap();
    let err = load_bundle(&path).err().expect("refused").to_string();
    assert!(err.contains("deep.json"), "{err}");
}

#[test]
fn weights_whose_header_claims_terabytes_are_refused_without_allocating_them() {
    let dir = tempfile::tempdir().unwrap();
    let card = copy_with_card(dir.path(), |_| {});
    // A safetensors header length of 2^40 bytes, then a few bytes: the
    // card's checksum no longer matches, which is caught first...
    let weights = dir.path().join("incident_risk.safetensors");
    let mut hostile = (1u64 << 40).to_le_bytes().to_vec();
    hostile.extend_from_slice(b"{\"x\":1}");
    std::fs::write(&weights, &hostile).unwrap();
    let err = load_bundle(&card).err().expect("refused").to_string();
    assert!(err.contains("sha256") || err.contains("checksum"), "{err}");
    // ...and with the checksum made to match, the header itself is refused.
    let sha = {
        use sha2::Digest;
        let d = sha2::Sha256::digest(&hostile);
        d.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    let card = copy_with_card(dir.path(), |c| {
        c["weights"]["sha256"] = sha.clone().into();
        c["weights"]["bytes"] = (hostile.len() as u64).into();
    });
    std::fs::write(&weights, &hostile).unwrap();
    let err = load_bundle(&card).err().expect("refused").to_string();
    assert!(err.contains("incident_risk.safetensors"), "{err}");
}

/// Every saved fuzz input — the seeds and the inputs that once found a bug
/// (`tests/fuzz/regressions/TARGET/`) — run through its target again: none
/// may panic, and the seeds, which are valid files, must be accepted.
#[test]
fn fuzz_seeds_and_regressions_replay_cleanly() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz");
    let mut replayed = 0;
    for (target, run) in cityops::fuzzing::TARGETS {
        for (kind, must_accept) in [("seeds", true), ("regressions", false)] {
            let Ok(entries) = std::fs::read_dir(root.join(kind).join(target)) else {
                continue;
            };
            for e in entries {
                let path = e.unwrap().path();
                let bytes = std::fs::read(&path).unwrap();
                let accepted = run(&bytes);
                if must_accept {
                    assert!(
                        accepted,
                        "{target}: the seed {} was refused",
                        path.display()
                    );
                }
                replayed += 1;
            }
        }
    }
    assert!(
        replayed >= 12,
        "only {replayed} saved inputs found under {}",
        root.display()
    );
}
