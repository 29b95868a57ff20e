//! Fuzzes the audit log's signed-note and checkpoint parsers: no input may panic, and
//! any note that parses must format back to text that parses to the same note.

#![no_main]

use libfuzzer_sys::fuzz_target;
use nexafi_audit::ledger::note::{Checkpoint, Note, NoteVerifier};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(note) = Note::parse(text) {
        let again = Note::parse(&note.to_text()).expect("a formatted note parses");
        assert_eq!(again, note);
        if let Ok(checkpoint) = Checkpoint::parse(&note.text) {
            assert_eq!(Checkpoint::parse(&checkpoint.to_text()), Ok(checkpoint));
        }
    }
    let _ = Checkpoint::parse(text);
    let _ = NoteVerifier::parse(text);
});
