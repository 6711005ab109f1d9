//! A `multipart/form-data` body (RFC 7578) taken apart: the boundary from the `Content-Type`
//! header, then each part's headers and its bytes, as they are (binary-safe).

/// One part of a form.
#[derive(Debug, PartialEq)]
pub(crate) struct Part<'a> {
    /// The field's name (`name` of its `Content-Disposition`).
    pub(crate) name: String,
    /// The file name, for a file field.
    pub(crate) filename: Option<String>,
    /// The part's own `Content-Type`, when it has one.
    pub(crate) content_type: Option<String>,
    /// The part's bytes.
    pub(crate) data: &'a [u8],
}

/// The boundary of a `multipart/form-data` content type, or why there is none.
pub(crate) fn boundary(content_type: Option<&str>) -> Result<String, String> {
    let ct = content_type.ok_or("the request has no Content-Type (multipart/form-data expected)")?;
    let (essence, params) = ct.split_once(';').unwrap_or((ct, ""));
    if !essence.trim().eq_ignore_ascii_case("multipart/form-data") {
        return Err(format!("Content-Type is {}, not multipart/form-data", essence.trim()));
    }
    match param(params, "boundary") {
        Some(b) if !b.is_empty() && b.len() <= 70 => Ok(b),
        Some(_) => Err("the multipart boundary must have 1 to 70 characters".into()),
        None => Err("multipart/form-data without a boundary".into()),
    }
}

/// Splits a body into its parts.
pub(crate) fn parse<'a>(body: &'a [u8], boundary: &str) -> Result<Vec<Part<'a>>, String> {
    let delimiter = format!("--{boundary}").into_bytes();
    let next_delimiter = [b"\r\n".as_slice(), &delimiter].concat();
    // The first delimiter opens the body, or ends a preamble on a line of its own.
    let mut at = if body.starts_with(&delimiter) {
        0
    } else {
        find(body, &next_delimiter, 0).ok_or("no multipart boundary in the body")? + 2
    };
    let mut parts = Vec::new();
    loop {
        let mut i = at + delimiter.len();
        if body[i..].starts_with(b"--") {
            return Ok(parts);
        }
        while matches!(body.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        if !body[i..].starts_with(b"\r\n") {
            return Err("a multipart boundary is not followed by a line break".into());
        }
        let start = i + 2;
        let end = find(body, &next_delimiter, start).ok_or("the multipart body is cut short (no closing boundary)")?;
        parts.push(part(&body[start..end])?);
        at = end + 2;
    }
}

fn part(bytes: &[u8]) -> Result<Part<'_>, String> {
    let mut headers = [httparse::EMPTY_HEADER; 16];
    let (len, headers) = match httparse::parse_headers(bytes, &mut headers) {
        Ok(httparse::Status::Complete((len, headers))) => (len, headers),
        _ => return Err("a multipart part has malformed headers".into()),
    };
    let header = |name: &str| {
        headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).into_owned())
    };
    let disposition = header("content-disposition").ok_or("a multipart part has no Content-Disposition")?;
    let (kind, params) = disposition.split_once(';').unwrap_or((&disposition, ""));
    if !kind.trim().eq_ignore_ascii_case("form-data") {
        return Err(format!("a multipart part is {}, not form-data", kind.trim()));
    }
    let name = param(params, "name").ok_or("a multipart part has no field name")?;
    let filename = param(params, "filename*").and_then(|v| ext_value(&v)).or_else(|| param(params, "filename"));
    Ok(Part { name, filename, content_type: header("content-type"), data: &bytes[len..] })
}

/// The value of parameter `key` in `; k1=v1; k2="v 2"` (a quoted value unescaped).
fn param(params: &str, key: &str) -> Option<String> {
    let mut rest = params;
    loop {
        rest = rest.trim_start_matches([';', ' ', '\t']);
        if rest.is_empty() {
            return None;
        }
        let eq = rest.find(['=', ';'])?;
        let k = rest[..eq].trim();
        if rest[eq..].starts_with(';') {
            // A parameter without a value.
            rest = &rest[eq..];
            continue;
        }
        rest = &rest[eq + 1..];
        let value = if let Some(quoted) = rest.strip_prefix('"') {
            let mut v = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => v.extend(chars.next().map(|(_, c)| c)),
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    c => v.push(c),
                }
            }
            rest = &quoted[end..];
            v
        } else {
            let end = rest.find(';').unwrap_or(rest.len());
            let v = rest[..end].trim().to_owned();
            rest = &rest[end..];
            v
        };
        if k.eq_ignore_ascii_case(key) {
            return Some(value);
        }
    }
}

/// An RFC 5987 extended value, `UTF-8''%E2%82%AC%20rates.txt`.
fn ext_value(v: &str) -> Option<String> {
    let (charset, rest) = v.split_once('\'')?;
    let (_language, encoded) = rest.split_once('\'')?;
    if !charset.eq_ignore_ascii_case("utf-8") {
        return None;
    }
    Some(crate::percent_decode(encoded))
}

/// Where `needle` first occurs in `hay` at or after `from`.
fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let first = *needle.first()?;
    let mut i = from;
    while i + needle.len() <= hay.len() {
        let off = hay[i..=hay.len() - needle.len()].iter().position(|&b| b == first)?;
        i += off;
        if hay[i..].starts_with(needle) {
            return Some(i);
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_of_a_browser_form() {
        let body = b"preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a \\\"b\\\".bin\"\r\nContent-Type: application/octet-stream\r\n\r\n\x00\r\n--X\xff\r\n--XyZ\r\nContent-Disposition: form-data; flag; name=storage\r\n\r\ntrue\r\n--XyZ--\r\n";
        let parts = parse(body, "XyZ").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "file");
        assert_eq!(parts[0].filename.as_deref(), Some("a \"b\".bin"));
        assert_eq!(parts[0].content_type.as_deref(), Some("application/octet-stream"));
        assert_eq!(parts[0].data, b"\x00\r\n--X\xff");
        assert_eq!(parts[1], Part { name: "storage".into(), filename: None, content_type: None, data: b"true" });
    }

    #[test]
    fn extended_file_names_win() {
        let body = "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.txt\"; filename*=UTF-8''%E2%82%AC.txt\r\n\r\n\r\n--b--";
        assert_eq!(parse(body.as_bytes(), "b").unwrap()[0].filename.as_deref(), Some("€.txt"));
    }

    #[test]
    fn malformed_bodies_are_refused() {
        assert!(parse(b"no boundary here", "b").is_err());
        assert!(parse(b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\ncut", "b").is_err());
        assert!(parse(b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--", "b").is_err());
        assert!(parse(b"--bjunk", "b").is_err());
    }

    #[test]
    fn boundaries_come_from_the_content_type() {
        assert_eq!(boundary(Some("multipart/form-data; boundary=\"a b\"")).unwrap(), "a b");
        assert_eq!(boundary(Some("Multipart/Form-Data;boundary=----x")).unwrap(), "----x");
        assert!(boundary(Some("application/json")).is_err());
        assert!(boundary(Some("multipart/form-data")).is_err());
        assert!(boundary(None).is_err());
    }
}
