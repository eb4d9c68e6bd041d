//! Passwords from somewhere other than the command line, which every local
//! user can read (`/proc/PID/cmdline`, `ps`): `--password-file` and the
//! `XMPP_PASSWORD` variable for `xmpp connect`, `--users-file` for
//! `xmpp serve` and `xmpp probe`. The file's bytes are read into one
//! buffer sized from the file and wiped when dropped; `xmpp connect`'s
//! password stays in wiped buffers, while the accounts handed to `xmpp
//! serve` and `xmpp probe` are theirs to keep for the run.

use std::io::Read as _;

use zeroize::Zeroizing;

/// The environment variable `xmpp connect` reads its password from when
/// neither `--password` nor `--password-file` is given.
pub(crate) const PASSWORD_VAR: &str = "XMPP_PASSWORD";

/// The largest password or accounts file read: far more than any real
/// one, and a path to a device or a huge file costs no more than this.
const MAX_FILE: u64 = 1 << 20;

/// The whole of `path` as UTF-8, at most [`MAX_FILE`] bytes.
fn read(path: &str) -> Result<Zeroizing<String>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
    // Sized ahead, so that reading does not grow it and leave copies.
    let size = file.metadata().map_or(0, |m| m.len()).min(MAX_FILE + 1);
    let mut bytes = Zeroizing::new(Vec::with_capacity(
        usize::try_from(size).unwrap_or_default() + 1,
    ));
    file.take(MAX_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{path}: {e}"))?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(format!("{path}: larger than {MAX_FILE} bytes"));
    }
    let text = core::str::from_utf8(&bytes).map_err(|_| format!("{path}: not UTF-8"))?;
    Ok(Zeroizing::new(text.to_owned()))
}

/// The password in `path`: its first line, without the line end (so that
/// `echo secret > file` works; a password cannot hold a line break).
pub(crate) fn password_file(path: &str) -> Result<Zeroizing<String>, String> {
    let text = read(path)?;
    let line = text.lines().next().unwrap_or_default();
    if line.is_empty() {
        return Err(format!("{path}: no password on its first line"));
    }
    Ok(Zeroizing::new(line.to_owned()))
}

/// The accounts in `path`: one `NAME:PASSWORD` a line, as `--user` takes
/// them; blank lines and lines starting with `#` are skipped. The
/// password is everything after the first `:`.
pub(crate) fn users_file(path: &str) -> Result<Vec<(String, String)>, String> {
    let text = read(path)?;
    let mut users = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        // The line itself is not quoted back: it holds a password.
        let (name, password) = line
            .split_once(':')
            .ok_or_else(|| format!("{path}:{}: not NAME:PASSWORD", n + 1))?;
        users.push((name.to_owned(), password.to_owned()));
    }
    Ok(users)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, content: &[u8]) -> String {
        let dir = std::env::temp_dir().join(format!("xmpp-cli-secrets-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, content).unwrap();
        path.to_string_lossy().into_owned()
    }

    #[test]
    fn a_password_file_gives_its_first_line() {
        assert_eq!(
            password_file(&file("p1", b"s3cr3t pass\r\nignored\n"))
                .unwrap()
                .as_str(),
            "s3cr3t pass"
        );
        assert_eq!(password_file(&file("p2", b"x")).unwrap().as_str(), "x");
        let e = password_file(&file("p3", b"\nlater")).unwrap_err();
        assert!(e.contains("no password"), "{e}");
        assert!(password_file(&file("p4", b"\xff\xfe")).is_err());
        assert!(password_file("/nonexistent/xmpp-password").is_err());
    }

    #[test]
    fn a_users_file_gives_one_account_a_line() {
        let users = users_file(&file(
            "u1",
            b"# accounts\nalice:wonder:land\n\n  \nbob:builder",
        ))
        .unwrap();
        assert_eq!(
            users,
            [
                ("alice".to_owned(), "wonder:land".to_owned()),
                ("bob".to_owned(), "builder".to_owned())
            ]
        );
        let e = users_file(&file("u2", b"alice:a\nhunter2\n")).unwrap_err();
        assert!(e.ends_with(":2: not NAME:PASSWORD"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
    }

    #[test]
    fn a_file_past_the_bound_is_refused() {
        let big = vec![b'a'; MAX_FILE as usize + 1];
        let e = password_file(&file("big", &big)).unwrap_err();
        assert!(e.contains("larger than"), "{e}");
    }
}
