//! SSTable tests with real files through glommio: memtable round trips (point reads, bloom
//! pruning, scans), corruption anywhere (flipped bits, truncation) → `Corrupt` and never
//! wrong data, incomplete generations refused and cleaned up.

use std::path::Path;

use bytes::Bytes;
use uuid::Uuid;

use crate::model::cell::{Cell, DeletionTime, Liveness, NEVER_EXPIRES};
use crate::model::mutation::{ClusteringBound, ClusteringKey, ClusteringRange, Mutation, PartitionPosition, RowUpdate};
use crate::model::token::{serialize_partition_key, token_of};
use crate::storage::memtable::Memtable;

use super::format::{component_path, temp_path, Component, Compression, Generation};
use super::test_support::{assert_partitions_eq, run, TestDir};
use super::{remove_incomplete, SstableError, SstableReader, SstableWriter, SstableWriterOptions, Statistics};

const NOW: u32 = 1_700_000_000;

fn position(i: usize) -> PartitionPosition {
    let mut key = Vec::new();
    serialize_partition_key(&[format!("user-{i}").as_bytes(), &(i as u32).to_be_bytes()], &mut key);
    PartitionPosition { token: token_of(&key), key: Bytes::from(key) }
}

fn row(ck: usize, ts: i64, marker: bool, value: &[u8]) -> RowUpdate {
    RowUpdate {
        clustering: ClusteringKey {
            sort_key: Bytes::from(format!("\x01{ck:08}\x00")),
            values: vec![Bytes::copy_from_slice(&(ck as u32).to_be_bytes())],
        },
        marker: marker.then_some(Liveness { timestamp: ts, ttl_seconds: 0, expires_at: NEVER_EXPIRES }),
        deletion: None,
        cells: vec![
            (1, Cell::live(ts, Bytes::copy_from_slice(value), 0, NOW)),
            (2, Cell::live(ts, Bytes::from_static(b"ttl"), 86_400, NOW)),
        ],
    }
}

/// `n` partitions of every shape; partition 7 is large enough to span several blocks.
fn memtable(n: usize) -> Memtable {
    let mut m = Memtable::default();
    for i in 0..n {
        let ts = 1_000 + i as i64;
        let mut mu = Mutation::new(Uuid::nil(), position(i));
        let rows = if i == 7 { 3_000 } else { i % 6 };
        for ck in 0..rows {
            mu.rows.push(row(ck, ts, ck % 2 == 0, format!("v{i}-{ck}-{}", "x".repeat(ck % 50)).as_bytes()));
        }
        match i % 5 {
            0 => mu.static_cells.push((0, Cell::live(ts, Bytes::from_static(b"static"), 0, NOW))),
            1 => mu.partition_deletion = Some(DeletionTime { marked_at: ts - 500, local_deletion_time: NOW }),
            2 => mu.range_deletions.push((
                ClusteringRange {
                    start: ClusteringBound::Inclusive(Bytes::from_static(b"\x01")),
                    end: ClusteringBound::Exclusive(Bytes::from_static(b"\x02")),
                },
                DeletionTime { marked_at: ts - 1, local_deletion_time: NOW },
            )),
            3 => mu.rows.push(RowUpdate {
                clustering: ClusteringKey { sort_key: Bytes::from_static(b"\x01zz\x00"), values: vec![] },
                marker: None,
                deletion: Some(DeletionTime { marked_at: ts, local_deletion_time: NOW }),
                cells: vec![(3, Cell::tombstone(ts, NOW))],
            }),
            _ => mu.static_cells.push((4, Cell::tombstone(ts, NOW))),
        }
        m.apply(mu, None);
    }
    m
}

fn options(compression: Compression, expected_partitions: usize) -> SstableWriterOptions {
    SstableWriterOptions { compression, bloom_filter_fp_chance: 0.01, expected_partitions, level: 0 }
}

async fn write(dir: &Path, generation: Generation, m: &Memtable, compression: Compression) -> Statistics {
    let mut w = SstableWriter::create(dir, generation, options(compression, m.partition_count())).await.unwrap();
    for (pos, p) in m.partitions_from(None) {
        w.write_partition(pos, p).await.unwrap();
    }
    w.finish().await.unwrap()
}

fn is_corrupt(e: &SstableError) -> bool {
    matches!(e, SstableError::Corrupt { .. })
}

#[test]
fn memtable_round_trips_through_point_reads_and_scans() {
    for compression in [Compression::Lz4, Compression::None] {
        let dir = TestDir::new("round-trip");
        let path = dir.path().to_path_buf();
        run(move || async move {
            let m = memtable(600);
            let stats = write(&path, 1, &m, compression).await;
            assert_eq!(stats.partition_count, 600);
            assert_eq!(stats.row_count, m.partitions_from(None).map(|(_, p)| p.rows.len() as u64).sum::<u64>());
            assert!(stats.tombstone_count > 0 && stats.min_local_deletion_time == NOW);
            assert!(
                stats.data_size_bytes > 3 * super::format::DATA_BLOCK_BYTES as u64 || compression == Compression::Lz4
            );

            let r = SstableReader::open(&path, 1).await.unwrap();
            assert_eq!(*r.statistics(), stats);
            for (pos, p) in m.partitions_from(None) {
                assert!(r.may_contain(&pos.key));
                let read = r.read_partition(pos).await.unwrap().expect("present partition");
                assert_partitions_eq(p, &read);
            }
            let mut maybe = 0;
            for i in 10_000..12_000 {
                let absent = position(i);
                maybe += usize::from(r.may_contain(&absent.key));
                assert!(r.read_partition(&absent).await.unwrap().is_none());
            }
            assert!(maybe < 2_000 / 20, "bloom filter said maybe for {maybe} of 2000 absent keys");

            let mut scan = r.scan();
            let mut expected = m.partitions_from(None);
            while let Some((pos, p)) = scan.next_partition().await.unwrap() {
                let (epos, ep) = expected.next().expect("no extra partitions");
                assert_eq!(&pos, epos);
                assert_partitions_eq(ep, &p);
            }
            assert!(expected.next().is_none());
            r.close().await;
        });
    }
}

#[test]
fn empty_sstable_is_valid() {
    let dir = TestDir::new("empty");
    let path = dir.path().to_path_buf();
    run(move || async move {
        let stats = write(&path, 3, &Memtable::default(), Compression::Lz4).await;
        assert_eq!(stats.partition_count, 0);
        let r = SstableReader::open(&path, 3).await.unwrap();
        assert!(r.read_partition(&position(1)).await.unwrap().is_none());
        assert!(r.scan().next_partition().await.unwrap().is_none());
    });
}

#[test]
fn out_of_order_partitions_are_refused() {
    let dir = TestDir::new("order");
    let path = dir.path().to_path_buf();
    run(move || async move {
        let m = memtable(3);
        let parts: Vec<_> = m.partitions_from(None).collect();
        let mut w = SstableWriter::create(&path, 1, options(Compression::Lz4, 3)).await.unwrap();
        w.write_partition(parts[1].0, parts[1].1).await.unwrap();
        let err = w.write_partition(parts[0].0, parts[0].1).await.unwrap_err();
        assert!(matches!(err, SstableError::OutOfOrder { .. }), "{err}");
        let err = w.write_partition(parts[1].0, parts[1].1).await.unwrap_err();
        assert!(matches!(err, SstableError::OutOfOrder { .. }), "{err}");
        w.abort().await;
        assert!(!temp_path(&path, 1, Component::Data).exists());
    });
}

/// Opens generation 1 and reads everything; each read is either right or `Corrupt`.
/// Returns how many reads (or the open) reported corruption.
async fn read_all_checked(dir: &Path, m: &Memtable) -> usize {
    let r = match SstableReader::open(dir, 1).await {
        Ok(r) => r,
        Err(e) => {
            assert!(is_corrupt(&e), "open: {e}");
            return 1;
        }
    };
    let mut corrupt = 0;
    for (pos, p) in m.partitions_from(None) {
        match r.read_partition(pos).await {
            Ok(Some(read)) => assert_partitions_eq(p, &read),
            Ok(None) => panic!("present partition {pos:?} reported absent"),
            Err(e) => {
                assert!(is_corrupt(&e), "read: {e}");
                corrupt += 1;
            }
        }
    }
    let mut scan = r.scan();
    let mut expected = m.partitions_from(None);
    loop {
        match scan.next_partition().await {
            Ok(Some((pos, p))) => {
                let (epos, ep) = expected.next().expect("scan returned an extra partition");
                assert_eq!(&pos, epos);
                assert_partitions_eq(ep, &p);
            }
            Ok(None) => {
                assert!(expected.next().is_none());
                break;
            }
            Err(e) => {
                assert!(is_corrupt(&e), "scan: {e}");
                corrupt += 1;
                break;
            }
        }
    }
    r.close().await;
    corrupt
}

fn flip(path: &Path, offset: usize, mask: u8) {
    let mut bytes = std::fs::read(path).unwrap();
    bytes[offset] ^= mask;
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn a_flipped_bit_in_a_data_block_is_reported_as_corrupt() {
    let dir = TestDir::new("flip-data");
    let path = dir.path().to_path_buf();
    run(move || async move {
        let m = memtable(300);
        write(&path, 1, &m, Compression::Lz4).await;
        let data = component_path(&path, 1, Component::Data);
        let len = std::fs::metadata(&data).unwrap().len() as usize;
        for offset in [8, len / 3, len / 2, len - 1] {
            flip(&data, offset, 0x10);
            assert!(read_all_checked(&path, &m).await > 0, "flip at {offset} went unnoticed");
            flip(&data, offset, 0x10);
        }
        assert_eq!(read_all_checked(&path, &m).await, 0);
    });
}

#[test]
fn damage_anywhere_never_yields_wrong_data() {
    let dir = TestDir::new("flip-all");
    let path = dir.path().to_path_buf();
    run(move || async move {
        let m = memtable(40);
        write(&path, 1, &m, Compression::None).await;
        for component in
            [Component::Data, Component::Index, Component::Summary, Component::Filter, Component::Statistics]
        {
            let file = component_path(&path, 1, component);
            let len = std::fs::metadata(&file).unwrap().len() as usize;
            let step = (len / 40).max(1);
            for offset in (0..len).step_by(step) {
                flip(&file, offset, 0x01);
                let found = read_all_checked(&path, &m).await;
                assert!(found > 0, "{component:?} flip at {offset} went unnoticed");
                flip(&file, offset, 0x01);
            }
        }
    });
}

#[test]
fn truncated_components_are_refused() {
    let dir = TestDir::new("truncate");
    let path = dir.path().to_path_buf();
    run(move || async move {
        let m = memtable(50);
        write(&path, 1, &m, Compression::Lz4).await;
        for component in
            [Component::Data, Component::Index, Component::Summary, Component::Filter, Component::Statistics]
        {
            let file = component_path(&path, 1, component);
            let original = std::fs::read(&file).unwrap();
            for cut in [1, original.len() / 2] {
                std::fs::write(&file, &original[..original.len() - cut]).unwrap();
                let err = SstableReader::open(&path, 1).await.err().expect("truncated file accepted");
                assert!(is_corrupt(&err), "{component:?}: {err}");
            }
            std::fs::write(&file, &original).unwrap();
        }
        assert_eq!(read_all_checked(&path, &m).await, 0);
    });
}

#[test]
fn a_generation_without_toc_is_refused_and_cleaned_up() {
    let dir = TestDir::new("toc");
    let path = dir.path().to_path_buf();
    run(move || async move {
        let m = memtable(20);
        write(&path, 1, &m, Compression::Lz4).await;
        write(&path, 2, &m, Compression::Lz4).await;
        std::fs::remove_file(component_path(&path, 2, Component::Toc)).unwrap();
        // A crash mid-write: a temporary component of generation 3.
        std::fs::write(temp_path(&path, 3, Component::Data), b"partial").unwrap();
        std::fs::write(path.join("unrelated.txt"), b"keep").unwrap();

        let err = SstableReader::open(&path, 2).await.err().expect("no TOC accepted");
        assert!(matches!(err, SstableError::Incomplete { generation: 2, .. }), "{err}");

        std::fs::write(component_path(&path, 1, Component::Toc), b"Data.db\n").unwrap();
        let err = SstableReader::open(&path, 1).await.err().expect("partial TOC accepted");
        assert!(is_corrupt(&err), "{err}");
        std::fs::write(component_path(&path, 1, Component::Toc), super::format::toc_text()).unwrap();

        assert_eq!(remove_incomplete(&path).await.unwrap(), vec![1]);
        let mut names: Vec<String> =
            std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        let mut expected: Vec<String> = Component::ALL.iter().map(|c| format!("1-{}", c.name())).collect();
        expected.push("unrelated.txt".into());
        expected.sort();
        assert_eq!(names, expected);
        assert_eq!(read_all_checked(&path, &m).await, 0);
    });
}

#[test]
fn scans_resume_from_any_position() {
    let dir = TestDir::new("scan-from");
    let path = dir.path().to_path_buf();
    run(move || async move {
        let m = memtable(600);
        write(&path, 1, &m, Compression::Lz4).await;
        let r = SstableReader::open(&path, 1).await.unwrap();
        let all: Vec<PartitionPosition> = m.partitions_from(None).map(|(p, _)| p.clone()).collect();
        // Exact positions (first, inside, last), positions between partitions, and past the end.
        let mut starts: Vec<PartitionPosition> =
            vec![all[0].clone(), all[1].clone(), all[299].clone(), all[599].clone()];
        starts.push(PartitionPosition { token: all[150].token, key: Bytes::from_static(b"") });
        starts.push(PartitionPosition { token: i64::MIN, key: Bytes::new() });
        starts.push(PartitionPosition { token: i64::MAX, key: Bytes::from_static(b"\xff\xff") });
        for start in starts {
            let mut scan = r.scan_from(&start).await.unwrap();
            let mut got = Vec::new();
            while let Some((pos, _)) = scan.next_partition().await.unwrap() {
                got.push(pos);
            }
            let expected: Vec<PartitionPosition> = all.iter().filter(|p| **p >= start).cloned().collect();
            assert_eq!(got, expected, "scan from {start:?}");
        }
        r.close().await;
    });
}
