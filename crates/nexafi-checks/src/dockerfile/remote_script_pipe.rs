use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Model, Resource, Severity,
};

use crate::Check;
use crate::dockerfile::support::{
    Instruction, STAGE_KIND, instructions, join_continuations, raw_words,
};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-DOCKER-007",
        slug: "dockerfile-remote-script-piped-to-shell",
        title: "RUN does not pipe downloaded scripts into a shell",
        severity: Severity::High,
        input: InputKind::Dockerfile,
        kinds: &[STAGE_KIND],
        categories: &["image-provenance"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &[],
        references: &[
            "https://docs.docker.com/reference/dockerfile/#run",
            "https://docs.docker.com/build/building/best-practices/#using-pipes",
            "https://csrc.nist.gov/pubs/sp/800/218/final",
        ],
        docs: CheckDocs {
            what: "Reads the shell commands of every `RUN` in every stage (shell form, the \
                   strings of the JSON form, here-document bodies, and `ONBUILD RUN`), with \
                   line continuations joined. It fails when a command downloads with `curl` or \
                   `wget` and pipes the output, directly or through other commands, into an \
                   interpreter (`sh`, `bash`, `zsh`, `dash`, `ash`, `ksh`, `python`, `perl`, \
                   `ruby`, `node`, `php`, also behind `sudo`, `env` or `busybox`), and when an \
                   interpreter, `eval`, `source` or `.` runs a download through `$(...)`, \
                   backquotes or `<(...)`. A stage without such a command passes.",
            why: "`curl ... | sh` runs whatever the server sends at the moment of the build, as \
                  root in most builds, with nothing recorded and nothing to verify against. A \
                  compromised vendor site, a hijacked domain or a man in the middle on a \
                  misconfigured mirror turns into code inside the payment platform's images, and \
                  because the script is never stored, nobody can later show what ran. PCI DSS \
                  6.3.2 asks to know the third-party components in the software, and NIST \
                  SP 800-218 (SSDF) asks to verify the integrity of acquired components before \
                  use.",
            fix: "Download to a file, verify it against a checksum or signature published \
                  out of band, then run it; better, install a pinned package or copy the tool \
                  from an image pinned by digest:\n\n\
                  ```dockerfile\nRUN curl -fsSLo /tmp/install.sh https://get.example.com/install-1.8.2.sh \\\n \
                  && echo \"<sha256>  /tmp/install.sh\" | sha256sum -c - \\\n \
                  && sh /tmp/install.sh && rm /tmp/install.sh\n```",
            limitations: "The command text is scanned, not parsed by a full shell grammar: \
                          separators inside quotes are treated like separators outside them, \
                          and downloads through other tools (`fetch`, `aria2c`, \
                          `Invoke-WebRequest`, a language runtime's HTTP client) are not \
                          recognised. A script that is downloaded to a file and run without \
                          verification in a later command passes.",
        },
    },
    cases: include_str!("remote_script_pipe.cases.yaml"),
    evaluate,
};

const DOWNLOADERS: &[&str] = &["curl", "wget"];

const INTERPRETERS: &[&str] = &[
    "sh", "bash", "zsh", "dash", "ash", "ksh", "mksh", "fish", "python", "python2", "python3",
    "perl", "ruby", "node", "php",
];

/// Commands that put another command in front of the one that runs.
const WRAPPERS: &[&str] = &[
    "sudo", "env", "exec", "command", "time", "nice", "nohup", "busybox",
];

fn evaluate(stage: &Resource, _model: &Model) -> Vec<Evaluation> {
    let mut evaluations = Vec::new();
    let mut run_count = 0usize;
    for instruction in instructions(stage) {
        let Some(scripts) = scripts_of(&instruction) else {
            continue;
        };
        let attribute = format!("RUN.{run_count}");
        run_count += 1;
        if let Some(command) = scripts.iter().find_map(|script| find_remote_pipe(script)) {
            evaluations.push(
                Evaluation::fail(
                    instruction.span(),
                    format!(
                        "`RUN` executes a downloaded script without verifying it (`{}`); \
                         download to a file, check its sha256 or signature, then run it",
                        excerpt(&command)
                    ),
                )
                .attribute(attribute)
                .expected("downloads verified before they run")
                .found(excerpt(&command)),
            );
        }
    }
    if evaluations.is_empty() {
        let message = match run_count {
            0 => "the stage has no `RUN` instruction".to_owned(),
            count => {
                format!("none of the {count} `RUN` instructions pipes a download into a shell")
            }
        };
        evaluations.push(Evaluation::pass(stage.name_span, message).attribute("RUN"));
    }
    evaluations
}

/// Returns the shell scripts an instruction runs, or `None` when it runs none.
fn scripts_of(instruction: &Instruction<'_>) -> Option<Vec<String>> {
    match instruction.keyword {
        "RUN" => {
            let mut scripts: Vec<String> = match instruction.exec() {
                Some(items) => items.into_iter().map(str::to_owned).collect(),
                None => vec![instruction.joined_arguments()],
            };
            scripts.extend(instruction.heredoc_bodies().into_iter().map(str::to_owned));
            Some(scripts)
        }
        "ONBUILD" => {
            let text = instruction.joined_arguments();
            let trimmed = text.trim_start();
            let keyword = raw_words(trimmed).into_iter().next()?;
            keyword
                .eq_ignore_ascii_case("RUN")
                .then(|| vec![trimmed[keyword.len()..].to_owned()])
        }
        _ => None,
    }
}

/// Returns the first command of `script` that runs a download, or `None`.
fn find_remote_pipe(script: &str) -> Option<String> {
    let text = join_continuations(script);
    for command in split_commands(&text) {
        let segments = split_pipeline(command);
        let heads: Vec<Option<String>> = segments.iter().map(|segment| head(segment)).collect();

        let first_download = heads.iter().position(|name| {
            name.as_deref()
                .is_some_and(|name| DOWNLOADERS.contains(&name))
        });
        if let Some(start) = first_download {
            let piped_into_interpreter = heads[start + 1..]
                .iter()
                .any(|name| name.as_deref().is_some_and(is_interpreter));
            if piped_into_interpreter {
                return Some(command.trim().to_owned());
            }
        }

        let substituted = segments.iter().zip(&heads).any(|(segment, name)| {
            let runs_code = name.as_deref().is_some_and(|name| {
                is_interpreter(name) || matches!(name, "eval" | "source" | ".")
            });
            runs_code && has_download_substitution(segment)
        });
        if substituted {
            return Some(command.trim().to_owned());
        }
    }
    None
}

/// Splits a script at newlines, `;`, `&&`, `||` and `&`.
fn split_commands(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut commands = Vec::new();
    let mut start = 0;
    let mut index = 0;
    while index < bytes.len() {
        let width = match bytes[index] {
            b'\n' | b';' => 1,
            b'&' if bytes.get(index + 1) == Some(&b'&') => 2,
            b'|' if bytes.get(index + 1) == Some(&b'|') => 2,
            // `&>` and `>&` are redirections and `|&` is a pipe, not separators.
            b'&' if bytes.get(index + 1) != Some(&b'>')
                && !matches!(
                    index.checked_sub(1).and_then(|i| bytes.get(i)),
                    Some(b'>' | b'|')
                ) =>
            {
                1
            }
            _ => 0,
        };
        if width == 0 {
            index += 1;
            continue;
        }
        commands.push(&text[start..index]);
        index += width;
        start = index;
    }
    commands.push(&text[start..]);
    commands
        .into_iter()
        .filter(|command| !command.trim().is_empty())
        .collect()
}

/// Splits one command at single pipes (`|` and `|&`).
fn split_pipeline(command: &str) -> Vec<&str> {
    command
        .split('|')
        .map(|segment| segment.strip_prefix('&').unwrap_or(segment))
        .collect()
}

/// Returns the program a pipeline segment runs, skipping wrappers such as `sudo -E`,
/// `env VAR=1` and `busybox`, as a bare name without its directory.
fn head(segment: &str) -> Option<String> {
    let mut words = segment.split_whitespace().map(clean_word).peekable();
    while let Some(word) = words.next() {
        let is_assignment = word.contains('=') && !word.starts_with('-');
        let is_number = !word.is_empty() && word.chars().all(|c| c.is_ascii_digit());
        if word.is_empty() || is_assignment || is_number {
            // Empty after cleaning, a `NAME=value` assignment before the command, or a
            // wrapper's numeric argument (`nice -n 10`).
            continue;
        }
        let name = word.rsplit('/').next().unwrap_or(&word).to_owned();
        if WRAPPERS.contains(&name.as_str()) {
            // Skip the wrapper's options; `-u user` and `-g group` take a value.
            while let Some(option) = words.peek() {
                if !option.starts_with('-') {
                    break;
                }
                let takes_value = matches!(option.as_str(), "-u" | "-g");
                words.next();
                if takes_value {
                    words.next();
                }
            }
            continue;
        }
        return Some(name);
    }
    None
}

fn clean_word(word: &str) -> String {
    word.trim_matches(|c| matches!(c, '"' | '\'' | '(' | ')' | '{' | '}' | '`'))
        .to_owned()
}

fn is_interpreter(name: &str) -> bool {
    INTERPRETERS.contains(&name)
        || name
            .strip_prefix("python")
            .is_some_and(|version| version.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

/// Returns true when `$(...)`, `<(...)` or backquotes in the segment start with a download.
fn has_download_substitution(segment: &str) -> bool {
    for opener in ["$(", "<(", "`"] {
        for (position, _) in segment.match_indices(opener) {
            let rest = segment[position + opener.len()..].trim_start();
            let first = rest.split_whitespace().next().map(clean_word);
            let name = first
                .as_deref()
                .map(|word| word.rsplit('/').next().unwrap_or(word));
            if name.is_some_and(|name| DOWNLOADERS.contains(&name)) {
                return true;
            }
        }
    }
    false
}

/// Shortens a command for a message, at a character boundary.
fn excerpt(command: &str) -> String {
    let flat: String = command.split_whitespace().collect::<Vec<_>>().join(" ");
    const LIMIT: usize = 120;
    if flat.chars().count() <= LIMIT {
        return flat;
    }
    let cut: String = flat.chars().take(LIMIT).collect();
    format!("{cut}...")
}

#[cfg(test)]
mod tests {
    use super::find_remote_pipe;

    #[test]
    fn pipes_detected() {
        for script in [
            "curl -fsSL https://get.example.com | sh",
            "apt-get update && curl -sL https://deb.example.com/setup | sudo -E bash -",
            "wget -qO- https://x.example.com/i.sh | tee /tmp/log | /bin/bash",
            "sh -c \"$(curl -fsSL https://x.example.com/install.sh)\"",
            "bash <(curl -s https://x.example.com/i.sh)",
            "curl https://x.example.com/get-pip.py | python3.12 -",
            "eval `wget -O- https://x.example.com/env`",
            "curl -s https://x.example.com/i.sh |& env FOO=1 busybox sh",
        ] {
            assert!(find_remote_pipe(script).is_some(), "{script}");
        }
    }

    #[test]
    fn safe_commands_pass() {
        for script in [
            "curl -fsSLo /tmp/i.sh https://x.example.com/i.sh && sha256sum -c sums && sh /tmp/i.sh",
            "curl -fsSL https://x.example.com/key.asc | gpg --dearmor -o /usr/share/keyrings/x.gpg",
            "wget -qO- https://x.example.com/tool.tar.gz | tar -xz -C /opt",
            "apt-get install -y curl bash",
            "echo ok || sh fallback.sh",
            "curl -o out https://x.example.com/a &> /dev/null; sh ./local.sh",
        ] {
            assert!(find_remote_pipe(script).is_none(), "{script}");
        }
    }
}
