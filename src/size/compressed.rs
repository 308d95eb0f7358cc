//! Compressed sizes of a file: what a registry or a download transfers. Counted through a
//! writer that keeps no output, so a 100 MiB binary costs no extra memory.
//!
//! * gzip: deflate level 6, the default of gzip(1), Go's compress/gzip and `docker push`.
//! * zstd: level 3, the default of zstd(1) and of registries that push zstd layers
//!   (libzstd itself, so the count is what `zstd -3 -c FILE | wc -c` prints).

use std::io::Write;

/// A sink that only counts the bytes written to it.
#[derive(Debug, Default)]
struct Count(u64);

impl Write for Count {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Size of `data` as a gzip file (header and trailer included), level 6.
pub fn gzip_len(data: &[u8]) -> u64 {
    let mut enc = flate2::write::GzEncoder::new(Count::default(), flate2::Compression::new(6));
    // Writing to a counter cannot fail.
    let _ = enc.write_all(data);
    enc.finish().map_or(0, |c| c.0)
}

/// Size of `data` as one zstd frame at level 3.
pub fn zstd_len(data: &[u8]) -> u64 {
    let mut c = Count::default();
    // Reading a slice and writing to a counter cannot fail.
    let _ = zstd::stream::copy_encode(data, &mut c, 3);
    c.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_match_real_streams() {
        let data: Vec<u8> = (0..200_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
        gz.write_all(&data).unwrap();
        let gz = gz.finish().unwrap();
        assert_eq!(gzip_len(&data), gz.len() as u64);
        let z = zstd::stream::encode_all(&data[..], 3).unwrap();
        assert_eq!(zstd_len(&data), z.len() as u64);
        // And the stream is real zstd: it decodes back.
        let mut dec = ruzstd::decoding::StreamingDecoder::new(&z[..]).unwrap();
        let mut back = Vec::new();
        std::io::Read::read_to_end(&mut dec, &mut back).unwrap();
        assert_eq!(back, data);
        assert!(gzip_len(&data) < data.len() as u64 / 4);
        assert_eq!(gzip_len(b""), 20);
    }
}
