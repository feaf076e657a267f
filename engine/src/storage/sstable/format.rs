//! The SSTable format's fixed points: component names and file names, the 8-byte header
//! every binary component starts with (magic, format version), the compression choices and
//! every size bound. `docs/sstable-format.md` describes the layout byte by byte.

use std::path::{Path, PathBuf};

use super::wire::{put_u16, DecodeError, WireReader};

/// An SSTable's generation number, unique within its table directory.
pub type Generation = u64;

/// The version written into every component header; readers refuse any other.
pub const FORMAT_VERSION: u16 = 2;

/// `magic[4] ‖ u16 LE version ‖ u16 LE reserved (0)`.
pub const FILE_HEADER_BYTES: usize = 8;

/// Uncompressed bytes per data block (the last block of a file may be shorter). A point
/// read reads and decompresses one whole block: 16 KiB (Cassandra 4's default chunk) costs
/// a quarter of 64 KiB's I/O and CPU per read for slightly worse compression.
pub const DATA_BLOCK_BYTES: usize = 16 * 1024;

/// A new index page (and summary entry) starts after this many partitions ...
pub const SUMMARY_INTERVAL_ENTRIES: usize = 128;

/// ... or once the page holds this many bytes, whichever comes first.
pub const INDEX_PAGE_TARGET_BYTES: usize = 32 * 1024;

/// Cassandra's limit on a serialized partition key (it is stored with a u16 length there).
pub const MAX_PARTITION_KEY_BYTES: usize = u16::MAX as usize;

/// One index entry at most: token, key, block offset, frame length, offset in block.
pub const MAX_INDEX_ENTRY_BYTES: usize = 8 + 3 + MAX_PARTITION_KEY_BYTES + 8 + 4 + 4;

/// An index page's bound: the target plus one entry that overshoots it.
pub const MAX_INDEX_PAGE_BYTES: usize = INDEX_PAGE_TARGET_BYTES + MAX_INDEX_ENTRY_BYTES;

/// One encoded partition (its data-stream entry). The length prefix is a u32.
pub const MAX_PARTITION_ENTRY_BYTES: usize = 1 << 30;

/// The in-memory components are loaded whole; these bound what a corrupt file can make
/// the reader allocate.
pub const MAX_SUMMARY_FILE_BYTES: u64 = 256 << 20;
pub const MAX_FILTER_FILE_BYTES: u64 = 1 << 30;
pub const MAX_STATISTICS_FILE_BYTES: u64 = 4096;
pub const MAX_TOC_FILE_BYTES: u64 = 4096;

/// Sequential reads (scans) fetch this many bytes of Data.db per I/O.
pub const SCAN_READ_BYTES: usize = 256 * 1024;

/// The suffix of a component being written; renamed away once it is durable.
pub const TEMP_SUFFIX: &str = ".tmp";

/// How data blocks and index pages are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Lz4,
}

/// The files of one SSTable generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Component {
    Data,
    Index,
    Summary,
    Filter,
    Statistics,
    Toc,
}

impl Component {
    /// Every component, in the order the writer makes them durable (TOC last).
    pub const ALL: [Component; 6] = [
        Component::Data,
        Component::Index,
        Component::Summary,
        Component::Filter,
        Component::Statistics,
        Component::Toc,
    ];

    /// The file-name suffix after `<generation>-`, also the TOC's line for the component.
    pub fn name(self) -> &'static str {
        match self {
            Component::Data => "Data.db",
            Component::Index => "Index.db",
            Component::Summary => "Summary.db",
            Component::Filter => "Filter.db",
            Component::Statistics => "Statistics.db",
            Component::Toc => "TOC.txt",
        }
    }

    /// The magic of the binary components (the TOC is text).
    pub fn magic(self) -> Option<&'static [u8; 4]> {
        match self {
            Component::Data => Some(b"PCDA"),
            Component::Index => Some(b"PCIX"),
            Component::Summary => Some(b"PCSU"),
            Component::Filter => Some(b"PCFI"),
            Component::Statistics => Some(b"PCST"),
            Component::Toc => None,
        }
    }

    pub fn from_name(name: &str) -> Option<Component> {
        Component::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// `<dir>/<generation>-<component>`.
pub fn component_path(dir: &Path, generation: Generation, component: Component) -> PathBuf {
    dir.join(format!("{generation}-{}", component.name()))
}

/// `<dir>/<generation>-<component>.tmp`.
pub fn temp_path(dir: &Path, generation: Generation, component: Component) -> PathBuf {
    dir.join(format!("{generation}-{}{TEMP_SUFFIX}", component.name()))
}

/// A file name of this format: its generation, component and whether it is temporary.
pub fn parse_file_name(name: &str) -> Option<(Generation, Component, bool)> {
    let (generation, rest) = name.split_once('-')?;
    if generation.is_empty() || !generation.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let generation = generation.parse().ok()?;
    let (rest, temporary) = match rest.strip_suffix(TEMP_SUFFIX) {
        Some(r) => (r, true),
        None => (rest, false),
    };
    Some((generation, Component::from_name(rest)?, temporary))
}

/// Appends the 8-byte header of a binary component.
pub fn put_file_header(out: &mut Vec<u8>, component: Component) {
    let magic = component.magic().expect("binary component");
    out.extend_from_slice(magic);
    put_u16(out, FORMAT_VERSION);
    put_u16(out, 0);
}

/// Checks the header of a binary component.
pub fn check_file_header(bytes: &[u8], component: Component) -> Result<(), DecodeError> {
    let mut r = WireReader::new(bytes);
    let magic = r.take(4, "file magic")?;
    if Some(magic) != component.magic().map(|m| &m[..]) {
        return Err(DecodeError::new(0, format!("not a {} file (magic {magic:02x?})", component.name())));
    }
    let version = r.u16("format version")?;
    if version != FORMAT_VERSION {
        return Err(DecodeError::new(4, format!("format version {version}, this build reads only {FORMAT_VERSION}")));
    }
    let reserved = r.u16("reserved header field")?;
    if reserved != 0 {
        return Err(DecodeError::new(6, "reserved header field is not zero"));
    }
    Ok(())
}

/// The TOC's content: one component name per line, in [`Component::ALL`] order.
pub fn toc_text() -> String {
    Component::ALL.iter().map(|c| format!("{}\n", c.name())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_round_trip() {
        let dir = Path::new("/d");
        for c in Component::ALL {
            let p = component_path(dir, 42, c);
            let name = p.file_name().unwrap().to_str().unwrap();
            assert_eq!(parse_file_name(name), Some((42, c, false)));
            let t = temp_path(dir, 7, c);
            let name = t.file_name().unwrap().to_str().unwrap();
            assert_eq!(parse_file_name(name), Some((7, c, true)));
        }
        assert_eq!(parse_file_name("x-Data.db"), None);
        assert_eq!(parse_file_name("1-Data.dbx"), None);
        assert_eq!(parse_file_name("-Data.db"), None);
    }

    #[test]
    fn headers_are_checked() {
        let mut h = Vec::new();
        put_file_header(&mut h, Component::Index);
        assert_eq!(h.len(), FILE_HEADER_BYTES);
        assert!(check_file_header(&h, Component::Index).is_ok());
        assert!(check_file_header(&h, Component::Data).is_err());
        h[4] = 9;
        assert!(check_file_header(&h, Component::Index).is_err());
        assert!(check_file_header(&h[..3], Component::Index).is_err());
    }
}
