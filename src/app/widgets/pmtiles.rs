//! Raster tiles from a local PMTiles v3 archive (one file holding a whole
//! tile pyramid, as Protomaps publishes them): a basemap that works
//! offline without a tile server. Read as the format's specification
//! says: a 127-byte header, a root directory and leaf directories
//! (varint-encoded, gzip-compressed or not), tiles addressed by their
//! Hilbert-curve id. Every length and offset is checked against the file
//! and bounded before anything is read or reserved.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// The largest directory read (decompressed).
const MAX_DIRECTORY_BYTES: u64 = 16 << 20;
/// Leaf directories nest at most this deep.
const MAX_DEPTH: usize = 4;

/// A PMTiles archive opened for reading tiles.
#[derive(Clone, Debug)]
pub struct Archive {
    path: PathBuf,
    file_len: u64,
    header: Header,
    root: Vec<Entry>,
}

#[derive(Clone, Copy, Debug)]
struct Header {
    root_offset: u64,
    root_length: u64,
    leaf_offset: u64,
    leaf_length: u64,
    data_offset: u64,
    data_length: u64,
    internal_compression: u8,
    tile_compression: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    tile_id: u64,
    offset: u64,
    length: u64,
    run_length: u64,
}

/// The Hilbert-curve id of tile `z/x/y`, as PMTiles numbers its tiles.
pub fn tile_id(z: u8, x: u32, y: u32) -> u64 {
    let z = u32::from(z.min(31));
    let before: u64 = (0..z).map(|t| 1u64 << (2 * t)).sum();
    let (mut x, mut y) = (u64::from(x), u64::from(y));
    let mut d = 0u64;
    let mut s = (1u64 << z) / 2;
    while s > 0 {
        let rx = u64::from(x & s > 0);
        let ry = u64::from(y & s > 0);
        d += s * s * ((3 * rx) ^ ry);
        if ry == 0 {
            if rx == 1 {
                x = s.wrapping_sub(1).wrapping_sub(x) & (s.wrapping_mul(2) - 1);
                y = s.wrapping_sub(1).wrapping_sub(y) & (s.wrapping_mul(2) - 1);
            }
            std::mem::swap(&mut x, &mut y);
        }
        s /= 2;
    }
    before + d
}

impl Archive {
    /// Opens `path` and reads its header and root directory; the error
    /// says what is wrong with the file.
    pub fn open(path: &Path) -> Result<Self, String> {
        let shown = path.display();
        let mut f = std::fs::File::open(path).map_err(|e| format!("{shown}: {e}"))?;
        let file_len = f.metadata().map_err(|e| format!("{shown}: {e}"))?.len();
        let mut h = [0u8; 127];
        f.read_exact(&mut h)
            .map_err(|_| format!("{shown}: too short to be a PMTiles archive"))?;
        if h.get(..7) != Some(b"PMTiles".as_slice()) {
            return Err(format!(
                "{shown}: not a PMTiles archive (it does not begin with \"PMTiles\")"
            ));
        }
        if h[7] != 3 {
            return Err(format!(
                "{shown}: PMTiles version {} is not read; convert it to version 3 (pmtiles convert)",
                h[7]
            ));
        }
        let u64_at = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&h[i..i + 8]);
            u64::from_le_bytes(b)
        };
        let header = Header {
            root_offset: u64_at(8),
            root_length: u64_at(16),
            leaf_offset: u64_at(40),
            leaf_length: u64_at(48),
            data_offset: u64_at(56),
            data_length: u64_at(64),
            internal_compression: h[97],
            tile_compression: h[98],
        };
        // Tile type 2 is PNG, 3 JPEG, 4 WebP; 1 (vector) is not drawn here.
        if h[99] == 1 {
            return Err(format!(
                "{shown}: this archive holds vector tiles; cityops draws raster (PNG, JPEG) tiles only"
            ));
        }
        let mut archive = Self {
            path: path.to_owned(),
            file_len,
            header,
            root: Vec::new(),
        };
        archive.root = archive.directory(&mut f, header.root_offset, header.root_length)?;
        Ok(archive)
    }

    /// The bytes of tile `z/x/y`, or `None` when the archive has none.
    pub fn tile(&self, z: u8, x: u32, y: u32) -> Result<Option<Vec<u8>>, String> {
        let id = tile_id(z, x, y);
        let mut f =
            std::fs::File::open(&self.path).map_err(|e| format!("{}: {e}", self.path.display()))?;
        let mut dir = self.root.clone();
        for _ in 0..MAX_DEPTH {
            let Some(e) = find(&dir, id) else {
                return Ok(None);
            };
            if e.run_length == 0 {
                if e.offset.saturating_add(e.length) > self.header.leaf_length {
                    return Err(self.broken("a leaf directory lies outside its section"));
                }
                dir = self.directory(&mut f, self.header.leaf_offset + e.offset, e.length)?;
                continue;
            }
            if e.offset.saturating_add(e.length) > self.header.data_length {
                return Err(self.broken("a tile lies outside the tile data"));
            }
            let bytes = self.read(
                &mut f,
                self.header.data_offset + e.offset,
                e.length,
                super::tiles::MAX_TILE_BYTES as u64,
            )?;
            return self
                .decompress(bytes, self.header.tile_compression)
                .map(Some);
        }
        Err(self.broken("its leaf directories nest too deep"))
    }

    fn broken(&self, what: &str) -> String {
        format!("{}: a broken PMTiles archive: {what}", self.path.display())
    }

    fn read(
        &self,
        f: &mut std::fs::File,
        offset: u64,
        length: u64,
        max: u64,
    ) -> Result<Vec<u8>, String> {
        if length > max || offset.saturating_add(length) > self.file_len {
            return Err(self.broken("a part is longer than the file or the limit"));
        }
        f.seek(SeekFrom::Start(offset))
            .map_err(|e| format!("{}: {e}", self.path.display()))?;
        let mut buf = vec![0u8; length as usize];
        f.read_exact(&mut buf)
            .map_err(|e| format!("{}: {e}", self.path.display()))?;
        Ok(buf)
    }

    fn decompress(&self, bytes: Vec<u8>, compression: u8) -> Result<Vec<u8>, String> {
        match compression {
            0 | 1 => Ok(bytes),
            2 => {
                let mut out = Vec::new();
                flate2::read::GzDecoder::new(bytes.as_slice())
                    .take(MAX_DIRECTORY_BYTES + 1)
                    .read_to_end(&mut out)
                    .map_err(|e| self.broken(&format!("gzip data does not decompress ({e})")))?;
                if out.len() as u64 > MAX_DIRECTORY_BYTES {
                    return Err(self.broken("a part decompresses to more than 16 MiB"));
                }
                Ok(out)
            }
            other => Err(format!(
                "{}: compression {other} (brotli or zstd) is not read; convert the archive with gzip or no compression",
                self.path.display()
            )),
        }
    }

    fn directory(
        &self,
        f: &mut std::fs::File,
        offset: u64,
        length: u64,
    ) -> Result<Vec<Entry>, String> {
        let raw = self.read(f, offset, length, MAX_DIRECTORY_BYTES)?;
        let bytes = self.decompress(raw, self.header.internal_compression)?;
        parse_directory(&bytes).ok_or_else(|| self.broken("a directory cannot be read"))
    }
}

/// The entry whose tiles may hold `id`: the last with `tile_id <= id`,
/// when its run covers `id` (or it points to a leaf directory).
fn find(entries: &[Entry], id: u64) -> Option<Entry> {
    let i = entries.partition_point(|e| e.tile_id <= id);
    let e = *entries.get(i.checked_sub(1)?)?;
    (e.run_length == 0 || id - e.tile_id < e.run_length).then_some(e)
}

fn parse_directory(bytes: &[u8]) -> Option<Vec<Entry>> {
    let mut pos = 0usize;
    let mut varint = || -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *bytes.get(pos)?;
            pos += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    };
    let n = varint()?;
    // Each entry takes at least four bytes: never reserve past that.
    if n > bytes.len() as u64 / 4 + 1 {
        return None;
    }
    let n = n as usize;
    let mut entries = vec![
        Entry {
            tile_id: 0,
            offset: 0,
            length: 0,
            run_length: 0,
        };
        n
    ];
    let mut last = 0u64;
    for e in &mut entries {
        last = last.checked_add(varint()?)?;
        e.tile_id = last;
    }
    for e in &mut entries {
        e.run_length = varint()?;
    }
    for e in &mut entries {
        e.length = varint()?;
    }
    for i in 0..n {
        let v = varint()?;
        let offset = if v == 0 && i > 0 {
            let p = entries[i - 1];
            p.offset.checked_add(p.length)?
        } else {
            v.checked_sub(1)?
        };
        entries[i].offset = offset;
    }
    Some(entries)
}

/// Writes a PMTiles v3 archive of `tiles` (z, x, y, bytes), uncompressed,
/// one root directory: for tests, fixtures and benchmarks.
pub fn write_archive(path: &Path, tiles: &[(u8, u32, u32, Vec<u8>)]) -> std::io::Result<()> {
    let mut sorted: Vec<(u64, &Vec<u8>)> = tiles
        .iter()
        .map(|(z, x, y, b)| (tile_id(*z, *x, *y), b))
        .collect();
    sorted.sort_by_key(|t| t.0);
    let mut dir = Vec::new();
    let put = |mut v: u64, out: &mut Vec<u8>| loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            break;
        }
        out.push(b | 0x80);
    };
    put(sorted.len() as u64, &mut dir);
    let mut last = 0;
    for (id, _) in &sorted {
        put(id - last, &mut dir);
        last = *id;
    }
    for _ in &sorted {
        put(1, &mut dir);
    }
    for (_, b) in &sorted {
        put(b.len() as u64, &mut dir);
    }
    let mut offset = 0u64;
    for (_, b) in &sorted {
        put(offset + 1, &mut dir);
        offset += b.len() as u64;
    }
    let data: Vec<u8> = sorted.iter().flat_map(|(_, b)| b.iter().copied()).collect();
    let root_offset = 127u64;
    let data_offset = root_offset + dir.len() as u64;
    let mut h = vec![0u8; 127];
    h[..7].copy_from_slice(b"PMTiles");
    h[7] = 3;
    let mut set = |i: usize, v: u64| h[i..i + 8].copy_from_slice(&v.to_le_bytes());
    set(8, root_offset);
    set(16, dir.len() as u64);
    set(24, data_offset + data.len() as u64); // metadata: empty, after the data
    set(32, 0);
    set(40, data_offset + data.len() as u64); // no leaf directories
    set(48, 0);
    set(56, data_offset);
    set(64, data.len() as u64);
    set(72, sorted.len() as u64);
    set(80, sorted.len() as u64);
    set(88, sorted.len() as u64);
    h[96] = 1; // clustered
    h[97] = 1; // internal compression: none
    h[98] = 1; // tile compression: none
    h[99] = 2; // PNG
    h[100] = tiles.iter().map(|t| t.0).min().unwrap_or(0);
    h[101] = tiles.iter().map(|t| t.0).max().unwrap_or(0);
    let mut out = h;
    out.extend_from_slice(&dir);
    out.extend_from_slice(&data);
    std::fs::write(path, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_ids_follow_the_specification() {
        assert_eq!(tile_id(0, 0, 0), 0);
        assert_eq!(tile_id(1, 0, 0), 1);
        assert_eq!(tile_id(1, 0, 1), 2);
        assert_eq!(tile_id(1, 1, 1), 3);
        assert_eq!(tile_id(1, 1, 0), 4);
        assert_eq!(tile_id(2, 0, 0), 5);
        // Every id of a zoom level once.
        let mut ids: Vec<u64> = (0..8)
            .flat_map(|x| (0..8).map(move |y| tile_id(3, x, y)))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 64);
        assert_eq!(ids[0], 21);
        assert_eq!(ids[63], 84);
    }

    #[test]
    fn an_archive_gives_back_its_tiles_and_refuses_broken_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("city.pmtiles");
        let tiles: Vec<(u8, u32, u32, Vec<u8>)> = (0..4)
            .flat_map(|x| (0..4).map(move |y| (2, x, y, format!("tile {x} {y}").into_bytes())))
            .chain([(0, 0, 0, b"world".to_vec())])
            .collect();
        write_archive(&path, &tiles).unwrap();
        let a = Archive::open(&path).unwrap();
        assert_eq!(a.tile(0, 0, 0).unwrap(), Some(b"world".to_vec()));
        assert_eq!(a.tile(2, 3, 1).unwrap(), Some(b"tile 3 1".to_vec()));
        assert_eq!(a.tile(1, 0, 0).unwrap(), None);
        assert_eq!(a.tile(5, 7, 7).unwrap(), None);

        let bad = dir.path().join("bad.pmtiles");
        std::fs::write(&bad, b"not an archive at all, just some bytes").unwrap();
        assert!(Archive::open(&bad).unwrap_err().contains("too short"));
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[..7].copy_from_slice(b"NOTILES");
        std::fs::write(&bad, &bytes).unwrap();
        assert!(Archive::open(&bad).unwrap_err().contains("not a PMTiles"));
        // A root directory said to be far longer than the file.
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[16..24].copy_from_slice(&(1u64 << 40).to_le_bytes());
        std::fs::write(&bad, &bytes).unwrap();
        assert!(Archive::open(&bad).is_err());
    }
}
