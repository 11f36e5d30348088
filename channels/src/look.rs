//! Each council's own look on the pages served here: its colour on the header and the chat's
//! heading, and its logo beside its name.

use std::path::Path;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;

/// The largest logo file served.
pub const MAX_LOGO_BYTES: u64 = 256 * 1024;

/// A council's logo, as served at `/council-logo`.
#[derive(Debug, Clone)]
pub struct Logo {
    /// Its media type (`image/svg+xml`, `image/png` or `image/jpeg`).
    pub media_type: &'static str,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

impl Logo {
    /// Reads a logo file, naming what is wrong with it.
    pub fn read(path: &Path) -> Result<Logo, String> {
        let shown = path.display();
        let media_type = logo_media_type(path)
            .ok_or_else(|| format!("council.logo: {shown} is not an SVG, PNG or JPEG file (.svg, .png, .jpg)"))?;
        let size =
            std::fs::metadata(path).map_err(|error| format!("council.logo: cannot read {shown}: {error}"))?.len();
        if size > MAX_LOGO_BYTES {
            return Err(format!("council.logo: {shown} is {size} bytes; a logo may be at most {MAX_LOGO_BYTES} bytes"));
        }
        let bytes = std::fs::read(path).map_err(|error| format!("council.logo: cannot read {shown}: {error}"))?;
        Ok(Logo { media_type, bytes })
    }
}

/// The media type of a logo file, from its name.
pub fn logo_media_type(path: &Path) -> Option<&'static str> {
    let extension = path.extension()?.to_str()?.to_ascii_lowercase();
    match extension.as_str() {
        "svg" => Some("image/svg+xml"),
        "png" => Some("image/png"),
        "jpg" | "jpeg" => Some("image/jpeg"),
        _ => None,
    }
}

/// A council's look: the stylesheet of its colour, its logo, and the path its pages reach them
/// under (`/councils/{id}` where one deployment serves several councils).
#[derive(Debug, Clone, Default)]
pub struct CouncilLook {
    stylesheet: String,
    logo: Option<Logo>,
    prefix: String,
}

impl CouncilLook {
    /// The look of a council of a colour (`#rrggbb`), with its logo if it has one, whose pages
    /// are reached under a path prefix (empty for a council alone in its deployment).
    pub fn new(colour: &str, logo: Option<Logo>, prefix: &str) -> CouncilLook {
        CouncilLook { stylesheet: stylesheet(colour), logo, prefix: prefix.to_string() }
    }

    /// Where the pages link the stylesheet and the logo (no logo: `null`).
    pub fn links(&self) -> serde_json::Value {
        serde_json::json!({
            "stylesheet": format!("{}/council.css", self.prefix),
            "logo": self.logo.as_ref().map(|_| format!("{}/council-logo", self.prefix)),
        })
    }
}

/// The colour of text on a background colour that reads better: white or near-black,
/// whichever has the greater WCAG contrast with it.
pub fn ink_on(colour: &str) -> &'static str {
    let luminance = relative_luminance(colour).unwrap_or(0.0);
    let on_white = 1.05 / (luminance + 0.05);
    let on_black = (luminance + 0.05) / (relative_luminance("#0b0c0c").unwrap_or(0.0) + 0.05);
    if on_white >= on_black { "#ffffff" } else { "#0b0c0c" }
}

/// The WCAG relative luminance of a `#rrggbb` colour.
fn relative_luminance(colour: &str) -> Option<f64> {
    let hex = colour.strip_prefix('#').filter(|hex| hex.len() == 6)?;
    let channel = |at: usize| -> Option<f64> {
        let value = f64::from(u8::from_str_radix(hex.get(at..at + 2)?, 16).ok()?) / 255.0;
        Some(if value <= 0.039_28 { value / 12.92 } else { ((value + 0.055) / 1.055).powf(2.4) })
    };
    Some(0.2126 * channel(0)? + 0.7152 * channel(2)? + 0.0722 * channel(4)?)
}

/// The stylesheet that gives the pages a council's colour.
fn stylesheet(colour: &str) -> String {
    let colour = if relative_luminance(colour).is_some() { colour } else { "#1d70b8" };
    let ink = ink_on(colour);
    format!(
        "/* The council's own colour. */\n\
         .cb-header {{ background-color: {colour}; border-bottom-color: {colour}; }}\n\
         .cb-header .cb-header__name, .cb-header .cb-header__name:link, .cb-header .cb-header__name:visited, \
         .cb-header .cb-header__service {{ color: {ink}; }}\n\
         .cb-embed-header {{ border-top: 5px solid {colour}; }}\n"
    )
}

/// `GET /council.css`: the stylesheet of the council's colour.
pub async fn council_stylesheet(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=300")],
        state.look.stylesheet.clone(),
    )
        .into_response()
}

/// `GET /council-logo`: the council's logo, never run as a document of this site (an SVG opened
/// on its own can hold script).
pub async fn council_logo(State(state): State<AppState>) -> Response {
    let Some(logo) = &state.look.logo else {
        return (StatusCode::NOT_FOUND, "this council has no logo").into_response();
    };
    let mut response =
        ([(header::CONTENT_TYPE, logo.media_type), (header::CACHE_CONTROL, "public, max-age=300")], logo.bytes.clone())
            .into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_on_a_council_colour_is_whichever_of_white_and_black_reads_better() {
        assert_eq!(ink_on("#1d70b8"), "#ffffff");
        assert_eq!(ink_on("#00703c"), "#ffffff");
        assert_eq!(ink_on("#ffdd00"), "#0b0c0c");
        assert_eq!(ink_on("#f3f2f1"), "#0b0c0c");
    }

    #[test]
    fn the_stylesheet_colours_the_header_and_the_chat_heading() {
        let look = CouncilLook::new("#ffdd00", None, "/councils/westbrook");
        assert!(look.stylesheet.contains(".cb-header { background-color: #ffdd00"), "{}", look.stylesheet);
        assert!(look.stylesheet.contains("color: #0b0c0c"), "{}", look.stylesheet);
        assert_eq!(look.links()["stylesheet"], "/councils/westbrook/council.css");
        assert!(look.links()["logo"].is_null());
    }

    #[test]
    fn only_svg_png_and_jpeg_logos_of_a_sensible_size_are_read() {
        let folder = tempfile::tempdir().unwrap();
        let gif = folder.path().join("logo.gif");
        std::fs::write(&gif, b"GIF89a").unwrap();
        assert!(Logo::read(&gif).unwrap_err().contains("not an SVG, PNG or JPEG"));
        let huge = folder.path().join("logo.png");
        std::fs::write(&huge, vec![0u8; usize::try_from(MAX_LOGO_BYTES).unwrap() + 1]).unwrap();
        assert!(Logo::read(&huge).unwrap_err().contains("at most"));
        let missing = folder.path().join("missing.svg");
        assert!(Logo::read(&missing).unwrap_err().contains("cannot read"));
        let svg = folder.path().join("logo.SVG");
        std::fs::write(&svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"/>").unwrap();
        assert_eq!(Logo::read(&svg).unwrap().media_type, "image/svg+xml");
    }
}
