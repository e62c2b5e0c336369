#[test]
#[ignore]
fn bench() {
    let mut values = Vec::new();
    for e in std::fs::read_dir("/tmp/rbench").unwrap() {
        let b = std::fs::read(e.unwrap().path()).unwrap();
        values.push(serde_json::from_slice::<serde_json::Value>(&b).unwrap());
    }
    let t = std::time::Instant::now();
    for _ in 0..20 {
        for v in &values {
            let mut out = Vec::new();
            meterctl::validate::rules::check(v, &mut out);
        }
    }
    eprintln!("{:?}", t.elapsed());
}
