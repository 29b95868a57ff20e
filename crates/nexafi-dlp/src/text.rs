//! Byte-level helpers shared by the detectors.

/// Returns true for ASCII letters, digits and `_`.
pub fn is_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// Returns the number of word bytes (see [`is_word_byte`]) at the start of `bytes`.
pub fn word_run(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .position(|&byte| !is_word_byte(byte))
        .unwrap_or(bytes.len())
}

/// Returns the index of the first ASCII digit in `bytes`.
pub fn find_digit(bytes: &[u8]) -> Option<usize> {
    // In digit-dense text the next digit is usually a few bytes away.
    const NEAR: usize = 8;
    if let Some(position) = bytes.iter().take(NEAR).position(u8::is_ascii_digit) {
        return Some(position);
    }
    if bytes.len() <= NEAR {
        return None;
    }
    find_digit_in_blocks(&bytes[NEAR..]).map(|position| NEAR + position)
}

fn find_digit_in_blocks(bytes: &[u8]) -> Option<usize> {
    // Whole blocks without a digit are skipped with a branch-free test per block, which
    // the compiler can vectorise. Text often has long stretches without digits.
    const BLOCK: usize = 32;
    let mut offset = 0;
    while offset + BLOCK <= bytes.len() {
        let block = &bytes[offset..offset + BLOCK];
        let any_digit = block
            .iter()
            .fold(false, |seen, &byte| seen | (byte.wrapping_sub(b'0') < 10));
        if any_digit {
            break;
        }
        offset += BLOCK;
    }
    bytes[offset..]
        .iter()
        .position(u8::is_ascii_digit)
        .map(|position| offset + position)
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
    fn find_digit_crosses_blocks() {
        let mut text = vec![b'a'; 100];
        assert_eq!(find_digit(&text), None);
        text[70] = b'7';
        assert_eq!(find_digit(&text), Some(70));
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
