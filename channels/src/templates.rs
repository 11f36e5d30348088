//! The HTML templates of the chat pages and the console, built into the program.

use std::sync::{Arc, RwLock};

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use minijinja::Environment;
use serde::Serialize;

/// Every template, by name.
const TEMPLATES: &[(&str, &str)] = &[
    ("layout.html", include_str!("../templates/layout.html")),
    ("messages.html", include_str!("../templates/messages.html")),
    ("transcript.html", include_str!("../templates/transcript.html")),
    ("chat.html", include_str!("../templates/chat.html")),
    ("chat_notice.html", include_str!("../templates/chat_notice.html")),
    ("chat_actions.html", include_str!("../templates/chat_actions.html")),
    ("language_switch.html", include_str!("../templates/language_switch.html")),
    ("embed.html", include_str!("../templates/embed.html")),
    ("demo.html", include_str!("../templates/demo.html")),
    ("site_page.html", include_str!("../templates/site_page.html")),
    ("console_layout.html", include_str!("../templates/console_layout.html")),
    ("login.html", include_str!("../templates/login.html")),
    ("login_form.html", include_str!("../templates/login_form.html")),
    ("problem.html", include_str!("../templates/problem.html")),
    ("queue.html", include_str!("../templates/queue.html")),
    ("queue_table.html", include_str!("../templates/queue_table.html")),
    ("escalation.html", include_str!("../templates/escalation.html")),
    ("escalation_status.html", include_str!("../templates/escalation_status.html")),
    ("escalation_reach.html", include_str!("../templates/escalation_reach.html")),
    ("audit.html", include_str!("../templates/audit.html")),
    ("figures.html", include_str!("../templates/figures.html")),
    ("error_summary.html", include_str!("../templates/error_summary.html")),
    ("notice.html", include_str!("../templates/notice.html")),
    ("answers.html", include_str!("../templates/answers.html")),
    ("answer.html", include_str!("../templates/answer.html")),
    ("examples.html", include_str!("../templates/examples.html")),
    ("workflows.html", include_str!("../templates/workflows.html")),
    ("runs.html", include_str!("../templates/runs.html")),
    ("runs_table.html", include_str!("../templates/runs_table.html")),
    ("task_decision.html", include_str!("../templates/task_decision.html")),
    ("run.html", include_str!("../templates/run.html")),
    ("shared_layout.html", include_str!("../templates/shared_layout.html")),
    ("shared_council_filter.html", include_str!("../templates/shared_council_filter.html")),
    ("shared_login.html", include_str!("../templates/shared_login.html")),
    ("shared_problem.html", include_str!("../templates/shared_problem.html")),
    ("shared_queue.html", include_str!("../templates/shared_queue.html")),
    ("shared_runs.html", include_str!("../templates/shared_runs.html")),
    ("shared_figures.html", include_str!("../templates/shared_figures.html")),
    ("shared_figures_row.html", include_str!("../templates/shared_figures_row.html")),
];

/// The templates, ready to render (HTML escaped automatically).
pub struct Templates {
    environment: Environment<'static>,
    /// The workflow alerts every console page shows, as the watcher last read them.
    workflow_alerts: Arc<RwLock<Vec<serde_json::Value>>>,
}

impl Templates {
    /// Loads every template; a template that does not parse is a fault in the program itself.
    pub fn new() -> Templates {
        Templates::with_look(&crate::look::CouncilLook::default())
    }

    /// The templates of a council with its own look: its pages link its stylesheet and logo.
    pub fn with_look(look: &crate::look::CouncilLook) -> Templates {
        let mut environment = Environment::new();
        environment.add_global("look", minijinja::Value::from(minijinja::value::Serde(look.links())));
        for (name, source) in TEMPLATES {
            environment.add_template(name, source).expect("the built-in templates parse");
        }
        environment.add_function("t", words_in_page_language);
        environment.add_function("page_language", |state: &minijinja::State<'_, '_>| page_language(state).code());
        environment.add_function("console_languages", || {
            minijinja::Value::from(minijinja::value::Serde(crate::console::language::options()))
        });
        let workflow_alerts: Arc<RwLock<Vec<serde_json::Value>>> = Arc::default();
        let shown = workflow_alerts.clone();
        environment.add_function("workflow_alerts", move || {
            let alerts = shown.read().unwrap_or_else(|poisoned| poisoned.into_inner());
            minijinja::Value::from(minijinja::value::Serde(alerts.clone()))
        });
        Templates { environment, workflow_alerts }
    }

    /// Sets the workflow alerts every console page shows from now on.
    pub fn show_workflow_alerts(&self, alerts: Vec<serde_json::Value>) {
        *self.workflow_alerts.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = alerts;
    }

    /// A page, with a status.
    pub fn page(&self, status: StatusCode, name: &str, context: impl Serialize) -> Response {
        let context = minijinja::Value::from(minijinja::value::Serde(&context));
        match self.environment.get_template(name).and_then(|template| template.render(context)) {
            Ok(html) => (status, Html(html)).into_response(),
            Err(error) => {
                tracing::error!(template = name, error = %error, "a page could not be rendered");
                (StatusCode::INTERNAL_SERVER_ERROR, Html("<h1>Something went wrong</h1>".to_string())).into_response()
            }
        }
    }
}

/// `t("key", name=value, …)` in a template: the words of `key` in the page's `language`, with
/// each `{name}` filled in. A key without words is an error, so a page never shows a key.
fn words_in_page_language(
    state: &minijinja::State<'_, '_>,
    key: &str,
    values: minijinja::value::Kwargs,
) -> Result<String, minijinja::Error> {
    let words = crate::words::interface_words();
    if !words.has(key) {
        return Err(minijinja::Error::new(minijinja::ErrorKind::UndefinedError, format!("no words for `{key}`")));
    }
    let language = page_language(state);
    let mut filled = Vec::new();
    for name in values.args() {
        let value: minijinja::Value = values.get(name)?;
        filled.push((name.to_string(), value.to_string()));
    }
    values.assert_all_used()?;
    let pairs: Vec<(&str, &str)> = filled.iter().map(|(name, value)| (name.as_str(), value.as_str())).collect();
    Ok(words.fill(language, key, &pairs))
}

/// The language a page is shown in: its own `language`, else the console's, else English.
fn page_language(state: &minijinja::State<'_, '_>) -> knowledge_base::Language {
    state
        .lookup("language")
        .and_then(|language| language.as_str().and_then(knowledge_base::Language::parse))
        .or_else(crate::console::language::current)
        .unwrap_or_default()
}

impl Default for Templates {
    fn default() -> Self {
        Templates::new()
    }
}
