//! The `http` step: one request, its status checked, values kept from its response.

use std::time::Duration;

use serde_json::{Map, Value, json};

use super::browser_steps::resolve_url;
use super::context::Frame;
use crate::allowed_hosts::AllowedHosts;
use crate::workflow::{HttpMethod, HttpStep};

/// The most of a response body quoted in an error.
const QUOTED_BODY: usize = 300;

/// Sends the request, to a host `allowed` permits, and returns the variables it sets.
pub async fn run(
    client: &reqwest::Client,
    frame: &Frame,
    step: &HttpStep,
    limit: Duration,
    allowed: &AllowedHosts,
) -> Result<Map<String, Value>, String> {
    let written = frame.text(&step.url)?;
    let url = resolve_url(frame, &written)?;
    allowed.check("http", &url)?;
    let method = match step.method {
        HttpMethod::Get => reqwest::Method::GET,
        HttpMethod::Post => reqwest::Method::POST,
        HttpMethod::Put => reqwest::Method::PUT,
        HttpMethod::Patch => reqwest::Method::PATCH,
        HttpMethod::Delete => reqwest::Method::DELETE,
    };
    let mut request = client.request(method.clone(), &url).timeout(limit);
    for (name, template) in &step.headers {
        request = request.header(name.as_str(), frame.text(template)?);
    }
    if let Some(body) = &step.json {
        request = request.json(&frame.json(body)?);
    }
    if let Some(form) = &step.form {
        let mut fields = Vec::new();
        for (name, template) in form {
            fields.push((name.clone(), frame.text(template)?));
        }
        request = request.form(&fields);
    }
    let response = request.send().await.map_err(|error| {
        if error.is_timeout() {
            format!("{method} {url} did not answer within {}s", limit.as_secs())
        } else {
            format!("{method} {url} failed: {}", without_url(&error))
        }
    })?;
    let status = response.status().as_u16();
    let headers: Map<String, Value> = response
        .headers()
        .iter()
        .filter_map(|(name, value)| value.to_str().ok().map(|value| (name.as_str().to_string(), json!(value))))
        .collect();
    let text = response
        .text()
        .await
        .map_err(|error| format!("reading the answer of {method} {url}: {}", without_url(&error)))?;
    let accepted =
        if step.expect_status.is_empty() { (200..300).contains(&status) } else { step.expect_status.contains(&status) };
    if !accepted {
        let quoted: String = text.chars().take(QUOTED_BODY).collect();
        return Err(format!("{method} {url} answered {status}: {quoted}"));
    }
    let body: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    let mut values = Map::new();
    for (name, pointer) in &step.extract {
        let found = body
            .pointer(pointer)
            .cloned()
            .ok_or_else(|| format!("the answer of {method} {url} has nothing at `{pointer}` for `{name}`"))?;
        values.insert(name.clone(), found);
    }
    if let Some(into) = &step.into {
        values.insert(into.value.clone(), json!({ "status": status, "headers": headers, "body": body }));
    }
    Ok(values)
}

/// An error of the HTTP client without the URL it repeats (the caller names it once); for a
/// redirect, with why it was not followed.
fn without_url(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    if error.is_redirect()
        && let Some(cause) = std::error::Error::source(error)
    {
        text = format!("{text}: {cause}");
    }
    if let Some(url) = error.url() {
        text = text.replace(&format!(" ({url})"), "").replace(url.as_str(), "the address");
    }
    text
}
