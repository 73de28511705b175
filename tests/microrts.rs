//! Ludus against the real microRTS: `scripts/microrts/real_microrts.sh` fetches the Java engine
//! (PyPI's gym-microrts 0.4.3, cached in target/microrts), starts `ludus rts serve` and lets
//! microRTS's own SocketAI play through it. It checks that games on basesWorkers8x8 and
//! basesWorkers16x16 complete with no "Inconsistent actions" and no slow answers, and that our
//! WorkerRush beats microRTS's RandomBiasedAI in at least 9 of 10 games.
//!
//! Needs java, javac and pip. Where they are missing the test says so and passes, unless
//! `LUDUS_REQUIRE_MICRORTS=1` (CI sets it) makes that a failure.

use std::process::Command;

#[test]
fn ludus_agents_play_the_java_microrts_over_its_socket_protocol() {
    let required = std::env::var("LUDUS_REQUIRE_MICRORTS").is_ok_and(|v| v == "1");
    let have = |tool: &str| {
        Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !(have("java") && have("javac") && have("python3")) {
        assert!(
            !required,
            "LUDUS_REQUIRE_MICRORTS=1 but java, javac or python3 is missing"
        );
        eprintln!(
            "skipped: java, javac or python3 is missing (set LUDUS_REQUIRE_MICRORTS=1 to require)"
        );
        return;
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new("bash")
        .arg(root.join("scripts/microrts/real_microrts.sh"))
        .env("LUDUS", env!("CARGO_BIN_EXE_ludus"))
        .output()
        .expect("run real_microrts.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() && !required && stderr.contains("pip") {
        eprintln!("skipped: could not fetch gym-microrts: {stderr}");
        return;
    }
    assert!(
        out.status.success(),
        "real_microrts.sh failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("wins: "), "{stdout}");
}
