//! The portal's pages, as the HTML of an old back-office system.

use std::fmt::Write as _;
use std::time::Duration;

use super::{Case, Fields, field, random_token};

/// The repair categories the repair form offers.
pub const REPAIR_CATEGORIES: &[&str] =
    &["Plumbing", "Electrical", "Heating and hot water", "Doors and windows", "Roofing", "Damp and mould", "Other"];
/// The bins the missed-collection form offers.
pub const BIN_TYPES: &[&str] = &["Refuse (black)", "Recycling (blue)", "Garden waste (green)", "Food caddy"];
/// The longest repair description the system stores.
pub const DESCRIPTION_LIMIT: usize = 200;
/// The most items one bulky waste collection takes.
pub const BULKY_ITEM_LIMIT: usize = 5;
/// Rows per page of search results.
const RESULTS_PER_PAGE: usize = 10;

/// The bulky waste fee in pounds for a number of items.
pub fn bulky_fee(items: usize) -> u32 {
    if items <= 3 { 25 } else { 40 }
}

/// Text made safe to place in HTML.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// A page in the system's old style.
pub fn layout(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\">\n<html><head><title>{title} - ECSS</title>\
         <style>body{{font-family:Verdana,sans-serif;font-size:12px}} .error{{color:#c00}} \
         table.grid td,table.grid th{{border:1px solid #999;padding:2px 6px}}</style></head>\
         <body><h2>{title}</h2>{body}</body></html>",
        title = escape(title)
    )
}

pub fn login(error: Option<&str>) -> String {
    let error = error.map(|error| format!("<p class=\"error\">{}</p>", escape(error))).unwrap_or_default();
    let (user_id, password_id) = (format!("u{}", random_token()), format!("p{}", random_token()));
    layout(
        "Eastbrook Customer Services System",
        &format!(
            "{error}<form method=\"post\" action=\"/login\"><table>\
             <tr><td><label for=\"{user_id}\">User name</label></td><td><input id=\"{user_id}\" name=\"username\"></td></tr>\
             <tr><td><label for=\"{password_id}\">Password</label></td>\
             <td><input id=\"{password_id}\" name=\"password\" type=\"password\"></td></tr>\
             </table><input type=\"submit\" value=\"Log in\"></form>"
        ),
    )
}

pub fn frameset() -> String {
    "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Frameset//EN\">\n<html><head><title>ECSS</title></head>\
     <frameset cols=\"190,*\"><frame name=\"menu\" src=\"/menu\"><frame name=\"content\" src=\"/home\"></frameset></html>"
        .to_string()
}

pub fn menu() -> String {
    let links = [
        ("/repairs/new", "New repair request"),
        ("/bins/missed/new", "Missed bin collection"),
        ("/bulky/new", "Bulky waste booking"),
        ("/counciltax/address/new", "Council tax: change of address"),
        ("/cases/search", "Case search"),
    ];
    let items: String =
        links.iter().map(|(href, text)| format!("<li><a href=\"{href}\" target=\"content\">{text}</a></li>")).collect();
    layout("Menu", &format!("<ul>{items}</ul><p><a href=\"/logout\" target=\"_top\">Log out</a></p>"))
}

/// A form's fields, each with an id that changes on every page load.
struct FormBuilder<'a> {
    html: String,
    submitted: &'a Fields,
    scripts: String,
}

impl<'a> FormBuilder<'a> {
    fn new(action: &str, errors: &[String], submitted: &'a Fields, confirm: &str) -> FormBuilder<'a> {
        let mut html = String::new();
        if !errors.is_empty() {
            html.push_str("<div class=\"error\" id=\"errors\"><b>Please correct the following:</b><ul>");
            for error in errors {
                let _ = write!(html, "<li class=\"error-item\">{}</li>", escape(error));
            }
            html.push_str("</ul></div>");
        }
        let _ = write!(
            html,
            "<form method=\"post\" action=\"{action}\" onsubmit=\"return confirm('{}')\"><table>",
            escape(confirm)
        );
        FormBuilder { html, submitted, scripts: String::new() }
    }

    fn row(&mut self, label: &str, control: &str) -> String {
        let id = format!("f{}", random_token());
        let _ = write!(
            self.html,
            "<tr><td><label for=\"{id}\">{}</label></td><td>{}</td></tr>",
            escape(label),
            control.replace("ID", &id)
        );
        id
    }

    fn text(&mut self, label: &str, name: &str) -> &mut Self {
        let value = escape(field(self.submitted, name));
        self.row(label, &format!("<input type=\"text\" id=\"ID\" name=\"{name}\" value=\"{value}\" size=\"30\">"));
        self
    }

    fn textarea(&mut self, label: &str, name: &str) -> &mut Self {
        let value = escape(field(self.submitted, name));
        self.row(label, &format!("<textarea id=\"ID\" name=\"{name}\" rows=\"4\" cols=\"40\">{value}</textarea>"));
        self
    }

    /// A dropdown whose options arrive after a delay, as if fetched from a slow server.
    fn delayed_select(&mut self, label: &str, name: &str, options: &[&str], delay: Duration) -> &mut Self {
        let id = self
            .row(label, &format!("<select id=\"ID\" name=\"{name}\"><option value=\"\">Loading...</option></select>"));
        let chosen = field(self.submitted, name).to_string();
        let options: Vec<String> = options.iter().map(|option| format!("'{}'", option.replace('\'', "\\'"))).collect();
        let _ = write!(
            self.scripts,
            "<script>setTimeout(function(){{var s=document.getElementById('{id}');s.options.length=0;\
             s.add(new Option('-- Select --',''));[{}].forEach(function(o){{var opt=new Option(o,o);\
             if(o==='{}')opt.selected=true;s.add(opt);}});}},{});</script>",
            options.join(","),
            chosen.replace('\'', "\\'"),
            delay.as_millis()
        );
        self
    }

    fn select(&mut self, label: &str, name: &str, options: &[&str]) -> &mut Self {
        let chosen = field(self.submitted, name);
        let options: String = options
            .iter()
            .map(|option| {
                let selected = if *option == chosen { " selected" } else { "" };
                format!("<option{selected}>{}</option>", escape(option))
            })
            .collect();
        self.row(label, &format!("<select id=\"ID\" name=\"{name}\">{options}</select>"));
        self
    }

    fn finish(&mut self, button: &str) -> String {
        let _ = write!(
            self.html,
            "</table><input type=\"submit\" id=\"b{}\" value=\"{}\"></form>{}",
            random_token(),
            escape(button),
            self.scripts
        );
        std::mem::take(&mut self.html)
    }
}

pub fn repair_form(errors: &[String], submitted: &Fields, delay: Duration) -> String {
    let form = FormBuilder::new("/repairs/new", errors, submitted, "Submit this repair request?")
        .text("Property postcode", "postcode")
        .text("House number or name", "house")
        .delayed_select("Repair category", "category", REPAIR_CATEGORIES, delay)
        .select("Priority", "priority", &["Routine", "Urgent", "Emergency"])
        .textarea("Description of the problem", "description")
        .text("Contact telephone", "phone")
        .text("Caller reference", "ext_ref")
        .finish("Submit request");
    layout("New repair request", &format!("<p>Description: up to {DESCRIPTION_LIMIT} characters.</p>{form}"))
}

pub fn missed_bin_form(errors: &[String], submitted: &Fields, delay: Duration) -> String {
    let form = FormBuilder::new("/bins/missed/new", errors, submitted, "Log this missed collection?")
        .text("Postcode", "postcode")
        .text("House number or name", "house")
        .delayed_select("Bin missed", "bin", BIN_TYPES, delay)
        .text("Collection date (DD/MM/YYYY)", "collection_date")
        .textarea("Notes for the crew", "notes")
        .text("Caller reference", "ext_ref")
        .finish("Log collection");
    layout("Missed bin collection", &form)
}

pub fn bulky_form(errors: &[String], submitted: &Fields) -> String {
    let form = FormBuilder::new("/bulky/new", errors, submitted, "Book this collection? A fee will be charged.")
        .text("Postcode", "postcode")
        .text("House number or name", "house")
        .textarea("Items (one per line)", "items")
        .text("Preferred date (DD/MM/YYYY)", "preferred_date")
        .text("Caller reference", "ext_ref")
        .finish("Book collection");
    layout(
        "Bulky waste booking",
        &format!("<p>Up to {BULKY_ITEM_LIMIT} items. 1-3 items: &pound;25; 4-5 items: &pound;40.</p>{form}"),
    )
}

pub fn address_form(errors: &[String], submitted: &Fields) -> String {
    let form = FormBuilder::new("/counciltax/address/new", errors, submitted, "Record this change of address?")
        .text("Account number", "account")
        .text("Previous address", "old_address")
        .text("New address", "new_address")
        .text("New postcode", "new_postcode")
        .text("Date of move (DD/MM/YYYY)", "move_date")
        .text("Caller reference", "ext_ref")
        .finish("Save change");
    layout("Council tax: change of address", &form)
}

pub fn confirmation(title: &str, case: &Case) -> String {
    let fee = case
        .details
        .iter()
        .find(|(name, _)| name == "fee")
        .map(|(_, fee)| format!("<p>Fee payable: <span class=\"fee\">&pound;{fee}</span></p>"))
        .unwrap_or_default();
    layout(
        title,
        &format!(
            "<p class=\"ok\">Case reference: <b id=\"r{}\" class=\"case-ref\">{}</b></p><p>Status: {}</p>{fee}",
            random_token(),
            escape(&case.reference),
            escape(&case.status)
        ),
    )
}

pub fn search(query: &str, matches: &[Case], page: usize) -> String {
    let pages = matches.len().div_ceil(RESULTS_PER_PAGE).max(1);
    let page = page.clamp(1, pages);
    let mut html = format!(
        "<form method=\"get\" action=\"/cases/search\"><label for=\"q{token}\">Search for</label> \
         <input id=\"q{token}\" name=\"q\" value=\"{}\"> <input type=\"submit\" value=\"Search\"></form>",
        escape(query),
        token = random_token()
    );
    if matches.is_empty() {
        html.push_str("<p class=\"none\">No cases found.</p>");
        return layout("Case search", &html);
    }
    html.push_str(
        "<table class=\"grid\" id=\"results\"><tr><th>Reference</th><th>Type</th><th>Address</th><th>Status</th>\
         <th>Logged</th><th>Caller ref</th></tr>",
    );
    for case in matches.iter().skip((page - 1) * RESULTS_PER_PAGE).take(RESULTS_PER_PAGE) {
        let _ = write!(
            html,
            "<tr><td><a href=\"/cases/view?reference={reference}\">{reference}</a></td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td></tr>",
            escape(&case.kind),
            escape(&case.address),
            escape(&case.status),
            escape(&case.logged),
            escape(&case.external_reference),
            reference = escape(&case.reference),
        );
    }
    let _ = write!(html, "</table><p>Page {page} of {pages}. {} cases. ", matches.len());
    let link = |target: usize, text: &str| {
        format!("<a href=\"/cases/search?q={}&amp;page={target}\">{text}</a> ", escape(query), text = text)
    };
    if page > 1 {
        html.push_str(&link(page - 1, "&laquo; Previous"));
    }
    if page < pages {
        html.push_str(&link(page + 1, "Next &raquo;"));
    }
    html.push_str("</p>");
    layout("Case search", &html)
}

pub fn case_page(case: &Case) -> String {
    layout(
        &format!("Case {}", case.reference),
        &format!(
            "<table class=\"grid\"><tr><th>Reference</th><td class=\"case-ref\">{}</td></tr><tr><th>Type</th><td>{}</td></tr>\
             <tr><th>Address</th><td>{}</td></tr><tr><th>Status</th><td class=\"status\">{}</td></tr>\
             <tr><th>Logged</th><td>{}</td></tr></table>",
            escape(&case.reference),
            escape(&case.kind),
            escape(&case.address),
            escape(&case.status),
            escape(&case.logged)
        ),
    )
}
