//! Bar charts for the figures page, drawn as SVG on the server (the same numbers are in a table
//! beside each chart for screen readers and for copying).

/// The colours of the two series: GOV.UK blue and dark grey, both with good contrast on white.
const BLUE: &str = "#1d70b8";
const GREY: &str = "#505a5f";

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Conversations and escalations for each day, side by side.
pub fn days(days: &[(String, u64, u64)]) -> String {
    let most = days.iter().map(|(_, a, b)| (*a).max(*b)).max().unwrap_or(0).max(1) as f64;
    let (bar, gap, height) = (8.0, 6.0, 160.0);
    let width = (days.len() as f64 * (2.0 * bar + gap)).max(200.0) + 40.0;
    let mut svg = format!(
        "<svg class=\"cb-chart\" role=\"img\" aria-labelledby=\"chart-days-title\" viewBox=\"0 0 {width} {}\" width=\"{width}\" height=\"{}\"><title id=\"chart-days-title\">Conversations (blue) and escalations (grey) each day; the numbers are in the table below</title>",
        height + 40.0,
        height + 40.0
    );
    for (index, (label, conversations, escalations)) in days.iter().enumerate() {
        let x = 30.0 + index as f64 * (2.0 * bar + gap);
        for (offset, value, colour) in [(0.0, *conversations, BLUE), (bar, *escalations, GREY)] {
            let tall = value as f64 / most * height;
            svg.push_str(&format!(
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{bar}\" height=\"{tall:.1}\" fill=\"{colour}\"></rect>",
                x + offset,
                10.0 + height - tall
            ));
        }
        if index % 7 == 0 {
            svg.push_str(&format!(
                "<text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"#0b0c0c\">{}</text>",
                height + 28.0,
                escape(label)
            ));
        }
    }
    svg.push_str(&format!("<text x=\"0\" y=\"18\" font-size=\"11\" fill=\"#0b0c0c\">{most}</text></svg>"));
    svg
}

/// One horizontal bar for each label.
pub fn bars(title: &str, values: &[(String, u64)]) -> String {
    let most = values.iter().map(|(_, value)| *value).max().unwrap_or(0).max(1) as f64;
    let (row, width, label_width) = (26.0, 560.0, 260.0);
    let height = values.len() as f64 * row + 10.0;
    let mut svg = format!(
        "<svg class=\"cb-chart\" role=\"img\" aria-labelledby=\"chart-bars-title\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\"><title id=\"chart-bars-title\">{}; the numbers are in the table below</title>",
        escape(title)
    );
    for (index, (label, value)) in values.iter().enumerate() {
        let y = index as f64 * row + 5.0;
        let long = *value as f64 / most * (width - label_width - 50.0);
        svg.push_str(&format!(
            "<text x=\"0\" y=\"{:.1}\" font-size=\"13\" fill=\"#0b0c0c\">{}</text><rect x=\"{label_width}\" y=\"{y:.1}\" width=\"{long:.1}\" height=\"18\" fill=\"{BLUE}\"></rect><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"13\" fill=\"#0b0c0c\">{value}</text>",
            y + 14.0,
            escape(label),
            label_width + long + 6.0,
            y + 14.0
        ));
    }
    svg.push_str("</svg>");
    svg
}
