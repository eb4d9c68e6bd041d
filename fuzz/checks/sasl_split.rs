//! The message framing both SASL fuzz targets share: one byte choosing the
//! mechanism, then messages separated by FF FE (never valid UTF-8, so never
//! inside a well-formed text message).

/// Splits `data` at every FF FE.
pub(crate) fn messages(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(data);
    core::iter::from_fn(move || {
        let r = rest?;
        match r.windows(2).position(|w| w == [0xff, 0xfe]) {
            Some(i) => {
                rest = r.get(i + 2..);
                r.get(..i)
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}
