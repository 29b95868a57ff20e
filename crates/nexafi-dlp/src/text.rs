//! Byte-level helpers shared by the detectors.

/// Returns true for ASCII letters, digits and `_`.
pub fn is_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// Class of each byte for [`next_word_start`]: 0 outside words, 1 lower-case letters and
/// `_`, 2 capitals, 3 digits.
const CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut byte = 0;
    while byte < 256 {
        let value = byte as u8;
        table[byte] = if value.is_ascii_digit() {
            3
        } else if value.is_ascii_uppercase() {
            2
        } else if value.is_ascii_lowercase() || value == b'_' {
            1
        } else {
            0
        };
        byte += 1;
    }
    table
};

/// Returns the first index at or after `from` where a word starts with a digit or a
/// capital: a byte of class 2 or 3 whose previous byte is outside any word.
pub fn next_word_start(bytes: &[u8], from: usize) -> Option<usize> {
    let mut in_word = from > 0 && CLASS[usize::from(bytes[from - 1])] != 0;
    for (index, &byte) in bytes.iter().enumerate().skip(from) {
        let class = CLASS[usize::from(byte)];
        if class >= 2 && !in_word {
            return Some(index);
        }
        in_word = class != 0;
    }
    None
}

/// Returns the number of ASCII digits at the start of `bytes`.
pub fn digit_run(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .position(|byte| !byte.is_ascii_digit())
        .unwrap_or(bytes.len())
}

/// Returns the Shannon entropy of `bytes`, in bits per byte.
pub fn entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &byte in bytes {
        counts[usize::from(byte)] += 1;
    }
    let total = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&count| count > 0)
        .map(|&count| {
            let share = f64::from(count) / total;
            -share * share.log2()
        })
        .sum()
}

/// Line and column of a byte offset, moved forward through the input in order, so that
/// numbering a file's findings reads each byte once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// Byte offset in the whole input.
    pub offset: u64,
    /// 1-based line.
    pub line: u64,
    /// 1-based column in characters: UTF-8 continuation bytes are not counted.
    pub column: u64,
}

impl Default for Position {
    fn default() -> Self {
        Self {
            offset: 0,
            line: 1,
            column: 1,
        }
    }
}

impl Position {
    /// Moves to byte `target` of `window`, whose first byte is at offset `base` of the
    /// input. The current offset must lie within the window, at or before the target.
    pub fn advance(&mut self, window: &[u8], base: u64, target: usize) {
        let from = (self.offset - base) as usize;
        let passed = &window[from..target];
        match memchr::memrchr(b'\n', passed) {
            Some(last_newline) => {
                self.line += memchr::memchr_iter(b'\n', passed).count() as u64;
                self.column = 1 + count_chars(&passed[last_newline + 1..]);
            }
            None => self.column += count_chars(passed),
        }
        self.offset = base + target as u64;
    }
}

fn count_chars(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&byte| (byte & 0xC0) != 0x80).count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_starts_skip_inside_words() {
        let text = b"ab12 34 x-Y7 _9 Q";
        let mut starts = Vec::new();
        let mut from = 0;
        while let Some(start) = next_word_start(text, from) {
            starts.push(start);
            from = start + 1;
        }
        assert_eq!(starts, [5, 10, 16]);
    }

    #[test]
    fn position_counts_characters() {
        let text = "ab\ncé\nxyz".as_bytes();
        let mut position = Position::default();
        position.advance(text, 0, 6);
        assert_eq!((position.line, position.column), (2, 3));
        position.advance(text, 0, 9);
        assert_eq!((position.line, position.column), (3, 3));
    }

    #[test]
    fn entropy_of_uniform_bytes() {
        assert!((entropy(b"abcd") - 2.0).abs() < 1e-9);
        assert_eq!(entropy(b"aaaa"), 0.0);
    }
}
