//! Checks of everything about a workflow that can be known before it runs.

use std::collections::{BTreeMap, BTreeSet};

use regex::Regex;

use super::MAX_PROGRESS_CHARS;
use super::diagnostic::{Diagnostic, closest};
use super::kind::{STEP_KINDS, SelectChoice, StepKind};
use super::load::{WorkflowFile, quote_all};
use super::located::{Located, Template};
use super::model::{InputType, Trigger, Workflow};
use super::step::{AttributeCheck, Locator, Nth, RawStep};
use super::template::{is_template, names_in_expression, names_in_template};

/// Names every template may use besides inputs, secrets and variables.
const BUILT_IN_NAMES: &[&str] = &["run", "system"];

/// Checks a parsed workflow; `workflows` are the others it may call, by name.
pub fn check_workflow(
    file: &WorkflowFile,
    workflows: &BTreeMap<String, Workflow>,
    unreadable: &BTreeMap<String, Diagnostic>,
) -> Vec<Diagnostic> {
    let mut checker = Checker { file, workflows, unreadable, errors: Vec::new(), ids: BTreeMap::new() };
    checker.check_header();
    checker.check_urgent();
    let mut scope = Scope::default();
    checker.check_steps(&file.workflow.steps, &mut scope);
    checker.errors.sort_by_key(|error| (error.line, error.column));
    checker.errors
}

struct Checker<'a> {
    file: &'a WorkflowFile,
    workflows: &'a BTreeMap<String, Workflow>,
    /// The error of each workflow file checked alongside that could not be read, by the name
    /// it gives itself.
    unreadable: &'a BTreeMap<String, Diagnostic>,
    errors: Vec<Diagnostic>,
    ids: BTreeMap<String, u64>,
}

/// The variables defined at a point of the workflow.
#[derive(Debug, Clone, Default)]
struct Scope {
    variables: BTreeSet<String>,
}

impl Scope {
    fn with(&self, names: &[&str]) -> Scope {
        let mut inner = self.clone();
        inner.variables.extend(names.iter().map(|name| name.to_string()));
        inner
    }
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|first| first.is_ascii_lowercase() || first == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl<'a> Checker<'a> {
    fn error(&mut self, line: u64, column: u64, message: impl Into<String>) {
        self.errors.push(self.file.error_at(line, column, message));
    }

    fn workflow(&self) -> &'a Workflow {
        &self.file.workflow
    }

    /// An urgent section needs a way to tell (examples or phrases), something to say, numbers to
    /// call, and a request in conversation to be urgent about.
    fn check_urgent(&mut self) {
        let workflow = self.workflow();
        let Some(urgent) = &workflow.urgent else { return };
        let (line, column) = (urgent.message.line, urgent.message.column);
        if workflow.trigger.as_ref().and_then(|trigger| trigger.intent.as_ref()).is_none() {
            self.error(
                line,
                column,
                "`urgent` needs a `trigger` with an `intent`: only a request made in conversation can be urgent",
            );
        }
        if urgent.examples.iter().chain(&urgent.phrases).all(|text| text.trim().is_empty()) {
            self.error(line, column, "`urgent` needs `examples` or `phrases` that tell when a request is urgent");
        }
        if urgent.message.value.all().any(|words| words.trim().is_empty()) {
            self.error(line, column, "`urgent` needs a `message` to give first");
        }
        if let Some(contact) = urgent.contacts.iter().find(|contact| contact.phone.trim().is_empty()) {
            self.error(line, column, format!("urgent contact `{}` needs a `phone`", contact.name));
        }
    }

    fn check_header(&mut self) {
        let workflow = self.workflow();
        let (name, name_line, name_column) = (workflow.name.value.clone(), workflow.name.line, workflow.name.column);
        if !is_identifier(&name) {
            self.error(
                name_line,
                name_column,
                format!("workflow name `{name}` must be snake_case, such as `report_repair`"),
            );
        }
        let trigger = workflow.trigger.clone().unwrap_or(Trigger { intent: None, schedule: None, webhook: None });
        if workflow.trigger.is_some()
            && trigger.intent.is_none()
            && trigger.schedule.is_none()
            && trigger.webhook.is_none()
        {
            self.error(name_line, name_column, "`trigger` needs at least one of `intent`, `schedule` and `webhook`");
        }
        if let Some(intent) = &trigger.intent
            && intent.examples.is_empty()
        {
            self.error(name_line, name_column, format!("intent `{}` needs at least one example phrasing", intent.name));
        }
        if let Some(schedule) = &trigger.schedule
            && let Err(problem) = check_cron(schedule)
        {
            self.error(schedule.line, schedule.column, problem);
        }
        let secrets: Vec<Located<String>> = self.workflow().secrets.clone();
        let mut seen_secrets = BTreeSet::new();
        for secret in &secrets {
            if !seen_secrets.insert(secret.value.clone()) {
                self.error(secret.line, secret.column, format!("secret `{}` is listed twice", secret.value));
            }
        }
        if let Some(webhook) = &trigger.webhook
            && !seen_secrets.contains(&webhook.token_secret.value)
        {
            let token = &webhook.token_secret;
            self.error(token.line, token.column, format!("webhook token secret `{}` is not in `secrets`", token.value));
        }
        let inputs = self.workflow().inputs.clone();
        let mut seen_inputs = BTreeSet::new();
        for input in &inputs {
            let name = &input.name;
            if !is_identifier(name) {
                self.error(name.line, name.column, format!("input name `{}` must be snake_case", name.value));
            }
            if !seen_inputs.insert(name.value.clone()) {
                self.error(name.line, name.column, format!("input `{}` is declared twice", name.value));
            }
            if trigger.schedule.is_some() && input.required {
                self.error(
                    name.line,
                    name.column,
                    format!(
                        "input `{}` is required, but a scheduled run starts with no inputs: make it `required: false`",
                        name.value
                    ),
                );
            }
            if input.kind == InputType::Choice && input.choices.is_empty() {
                self.error(name.line, name.column, format!("choice input `{}` needs `choices`", name.value));
            }
            if input.kind != InputType::Choice && !input.choices.is_empty() {
                self.error(
                    name.line,
                    name.column,
                    format!("input `{}` has `choices` but is not of type `choice`", name.value),
                );
            }
            if let Some(pattern) = &input.pattern {
                if input.kind != InputType::Text {
                    self.error(
                        name.line,
                        name.column,
                        format!("input `{}` has a `pattern` but is not of type `text`", name.value),
                    );
                } else if let Err(error) = Regex::new(pattern) {
                    self.error(
                        name.line,
                        name.column,
                        format!("input `{}`: `pattern` is not a regular expression: {error}", name.value),
                    );
                }
            }
            if input.when.is_some() && input.kind != InputType::Date {
                self.error(
                    name.line,
                    name.column,
                    format!("input `{}` has `when` but is not of type `date`", name.value),
                );
            }
            if let (Some(min), Some(max)) = (input.min_length, input.max_length)
                && min > max
            {
                self.error(name.line, name.column, format!("input `{}` has min_length above max_length", name.value));
            }
        }
        if let Some(progress) = &self.workflow().progress {
            for progress in progress.templates() {
                self.check_progress(&progress);
            }
        }
        if let Some(at) = self.workflow().browser.as_ref().and_then(|browser| browser.geolocation.clone()) {
            let (position, line, column) = (at.value, at.line, at.column);
            if !(-90.0..=90.0).contains(&position.latitude) || !(-180.0..=180.0).contains(&position.longitude) {
                self.error(
                    line,
                    column,
                    "`geolocation` needs a latitude from -90 to 90 and a longitude from -180 to 180",
                );
            }
            if !(position.accuracy.is_finite() && position.accuracy >= 0.0) {
                self.error(line, column, "`geolocation` needs an accuracy of 0 metres or more");
            }
        }
        if let Some(system) = &self.workflow().system.clone() {
            self.check_template(&system.base_url, &Scope::default());
            if system.concurrency == 0 {
                let at = &system.base_url;
                self.error(at.line, at.column, format!("system `{}` needs a concurrency of at least 1", system.name));
            }
        }
    }

    fn check_steps(&mut self, steps: &[Located<RawStep>], scope: &mut Scope) {
        for step in steps {
            self.check_step(step, scope);
        }
    }

    fn check_step(&mut self, located: &Located<RawStep>, scope: &mut Scope) {
        let (line, column) = (located.line, located.column);
        let step = &located.value;
        // Every kind present is checked, so a step with several shows all that is wrong with it.
        let present = step.kinds_present();
        match present.len() {
            0 => self.error(line, column, format!("this step has no kind; give it one of {}", quote_all(STEP_KINDS))),
            1 => {}
            _ => {
                let names: Vec<&str> =
                    present.iter().map(|kind| kind.as_ref().map_or("select", StepKind::name)).collect();
                self.error(
                    line,
                    column,
                    format!(
                        "this step has several kinds ({}); each step does one thing, so split it",
                        quote_all(&names)
                    ),
                );
            }
        }
        if let Some(id) = &step.id {
            if !is_identifier(id) {
                self.error(id.line, id.column, format!("step id `{}` must be snake_case", id.value));
            } else if let Some(first) = self.ids.insert(id.value.clone(), id.line) {
                self.error(id.line, id.column, format!("step id `{}` is already used on line {first}", id.value));
            }
        }
        if let Some(progress) = &step.progress {
            for progress in progress.templates() {
                self.check_progress(&progress);
            }
        }
        if let Some(condition) = &step.when {
            self.check_expression(condition, scope);
        }
        if let Some(retry) = &step.retry
            && retry.attempts == 0
        {
            self.error(line, column, "`retry.attempts` counts the first attempt, so it must be at least 1");
        }
        if step.submits && step.idempotency.is_none() {
            self.error(
                line,
                column,
                "a step that `submits` needs `idempotency`: steps that find an earlier submission, so a resumed run never submits twice",
            );
        }
        if !step.submits && step.idempotency.is_some() {
            self.error(line, column, "`idempotency` only applies to a step that `submits: true`");
        }
        if let Some(idempotency) = &step.idempotency {
            self.check_steps(&idempotency.check, scope);
            self.check_expression(&idempotency.done_when, scope);
        }
        if let Some(on_error) = &step.on_error {
            let mut inner = scope.with(&["error"]);
            self.check_steps(on_error, &mut inner);
            // What the error branch sets stands in for what the step would have set.
            inner.variables.remove("error");
            scope.variables.extend(inner.variables);
        }
        for kind in present {
            match kind {
                Ok(kind) => self.check_kind(&kind, line, column, scope),
                Err(_) => {
                    if let Some(select) = &step.select {
                        self.check_locator(&select.locator(), line, column, scope);
                    }
                    self.error(line, column, "`select` needs exactly one of `option` (visible text), `value` and `option_matches` (a regular expression)");
                }
            }
        }
    }

    fn check_kind(&mut self, kind: &StepKind<RawStep>, line: u64, column: u64, scope: &mut Scope) {
        match kind {
            StepKind::Open(address) => {
                self.check_template(address, scope);
            }
            StepKind::Click(locator) | StepKind::Hover(locator) => {
                self.check_locator(locator, line, column, scope);
            }
            StepKind::Drag(drag) => {
                self.check_locator(&drag.from, line, column, scope);
                self.check_locator(&drag.to, line, column, scope);
            }
            StepKind::Scroll(scroll) => {
                match (&scroll.to, scroll.by, &scroll.within) {
                    (Some(_), None, None) | (None, Some(_), _) => {}
                    (Some(_), _, Some(_)) => {
                        self.error(line, column, "`scroll` with `to` brings that element into view: it takes no `in`")
                    }
                    _ => self.error(line, column, "`scroll` needs exactly one of `to` (an element) and `by` (pixels)"),
                }
                for locator in [&scroll.to, &scroll.within].into_iter().flatten() {
                    self.check_locator(locator, line, column, scope);
                }
            }
            StepKind::Fill(fill) => {
                self.check_locator(&fill.locator(), line, column, scope);
                self.check_template(&fill.value, scope);
            }
            StepKind::Select(select) => {
                self.check_locator(&select.locator, line, column, scope);
                match &select.choice {
                    SelectChoice::Text(text) | SelectChoice::Value(text) => self.check_template(text, scope),
                    SelectChoice::Matching(pattern) => self.check_pattern(pattern, scope),
                }
            }
            StepKind::Check(check) => {
                self.check_locator(&check.locator(), line, column, scope);
            }
            StepKind::Upload(upload) => {
                self.check_locator(&upload.locator(), line, column, scope);
                self.check_template(&upload.file, scope);
            }
            StepKind::Press(press) => {
                let locator = press.locator();
                if locator.strategies() > 0 {
                    self.check_locator(&locator, line, column, scope);
                }
                if press.key.is_empty() {
                    self.error(line, column, "`press` needs a `key`");
                } else if crate::browser::key_text(&press.key).is_none() {
                    self.error(
                        line,
                        column,
                        format!(
                            "`{}` is not a key: give a character, a key's name such as `Enter` or `ArrowDown`, or a chord such as `Control+A` or `Shift+Tab`",
                            press.key
                        ),
                    );
                }
            }
            StepKind::WaitFor(wait) => {
                let given = [
                    wait.visible.is_some(),
                    wait.text.is_some(),
                    wait.url.is_some(),
                    wait.gone.is_some(),
                    wait.enabled.is_some(),
                    wait.element.is_some(),
                ];
                let about_element = [wait.attribute.is_some(), wait.count.is_some()];
                if wait.element.is_none() && about_element.iter().any(|given| *given) {
                    self.error(line, column, "`attribute` and `count` wait for an `element`: name it");
                } else if given.iter().filter(|given| **given).count() != 1 {
                    self.error(
                        line,
                        column,
                        "`wait_for` needs exactly one of `visible`, `text`, `url`, `gone`, `enabled` and `element`",
                    );
                } else if wait.element.is_some() && about_element.iter().filter(|given| **given).count() != 1 {
                    self.error(line, column, "a `wait_for` an `element` needs exactly one of `attribute` and `count`");
                }
                if let Some(attribute) = &wait.attribute {
                    self.check_attribute(attribute, line, column, scope);
                }
                for locator in [&wait.visible, &wait.gone, &wait.enabled, &wait.element].into_iter().flatten() {
                    self.check_locator(locator, line, column, scope);
                }
                if let Some(text) = &wait.text {
                    self.check_template(text, scope);
                }
                if let Some(pattern) = &wait.url {
                    self.check_pattern(pattern, scope);
                }
            }
            StepKind::Extract(extract) => {
                self.check_locator(&extract.locator(), line, column, scope);
                if extract.table && (extract.attribute.is_some() || extract.pattern.is_some()) {
                    self.error(
                        line,
                        column,
                        "an `extract` with `table` reads whole rows; it cannot also take `attribute` or `pattern`",
                    );
                }
                if let Some(pattern) = &extract.pattern
                    && let Err(error) = Regex::new(pattern)
                {
                    self.error(line, column, format!("`pattern` is not a regular expression: {error}"));
                }
                self.define(&extract.into, scope);
            }
            StepKind::Assert(assert) => {
                let about_element = [
                    assert.text_is.is_some(),
                    assert.text_contains.is_some(),
                    assert.text_matches.is_some(),
                    assert.attribute.is_some(),
                    assert.count.is_some(),
                ];
                let given = [
                    assert.visible.is_some(),
                    assert.hidden.is_some(),
                    assert.text.is_some(),
                    assert.url.is_some(),
                    assert.that.is_some(),
                    assert.element.is_some(),
                ];
                if assert.element.is_none() && about_element.iter().any(|given| *given) {
                    self.error(
                        line,
                        column,
                        "`text_is`, `text_contains`, `text_matches`, `attribute` and `count` check an `element`: name it",
                    );
                } else if given.iter().filter(|given| **given).count() != 1 {
                    self.error(
                        line,
                        column,
                        "`assert` needs exactly one of `visible`, `hidden`, `text`, `url`, `that` and `element`",
                    );
                } else if assert.element.is_some() && about_element.iter().filter(|given| **given).count() != 1 {
                    self.error(
                        line,
                        column,
                        "an `assert` on an `element` needs exactly one of `text_is`, `text_contains`, `text_matches`, `attribute` and `count`",
                    );
                }
                for locator in [&assert.visible, &assert.hidden, &assert.element].into_iter().flatten() {
                    self.check_locator(locator, line, column, scope);
                }
                for text in [&assert.text_is, &assert.text_contains].into_iter().flatten() {
                    self.check_template(text, scope);
                }
                if let Some(pattern) = &assert.text_matches {
                    self.check_pattern(pattern, scope);
                }
                if let Some(attribute) = &assert.attribute {
                    self.check_attribute(attribute, line, column, scope);
                }
                if let Some(text) = &assert.text {
                    self.check_template(text, scope);
                }
                if let Some(pattern) = &assert.url {
                    self.check_pattern(pattern, scope);
                }
                if let Some(that) = &assert.that {
                    self.check_expression(that, scope);
                }
                if let Some(message) = &assert.message {
                    self.check_template(message, scope);
                }
            }
            StepKind::Frame(frame) => {
                let given = [frame.css.is_some(), frame.xpath.is_some(), frame.parent, frame.top];
                if given.iter().filter(|given| **given).count() != 1 {
                    self.error(
                        line,
                        column,
                        "`frame` needs exactly one of `css`, `xpath`, `parent: true` and `top: true`",
                    );
                }
                for selector in [&frame.css, &frame.xpath].into_iter().flatten() {
                    self.check_template(selector, scope);
                }
            }
            StepKind::Dialog(dialog) => {
                for text in [&dialog.answer, &dialog.expect].into_iter().flatten() {
                    self.check_template(text, scope);
                }
            }
            StepKind::Screenshot(screenshot) => {
                self.check_template(&screenshot.name, scope);
            }
            StepKind::Script(script) => {
                self.check_template(&script.code, scope);
                if let Some(into) = &script.into {
                    self.define(into, scope);
                }
            }
            StepKind::Http(http) => {
                self.check_template(&http.url, scope);
                for value in http.headers.values() {
                    self.check_template(value, scope);
                }
                for value in http.form.iter().flat_map(BTreeMap::values) {
                    self.check_template(value, scope);
                }
                if http.json.is_some() && http.form.is_some() {
                    self.error(line, column, "an `http` step sends either a `json` or a `form` body, not both");
                }
                if let Some(json) = &http.json {
                    self.check_json_templates(json, line, column, scope);
                }
                for status in &http.expect_status {
                    if !(100..=599).contains(status) {
                        self.error(line, column, format!("`expect_status` {status} is not an HTTP status"));
                    }
                }
                for (name, pointer) in &http.extract {
                    if !pointer.is_empty() && !pointer.starts_with('/') {
                        self.error(
                            line,
                            column,
                            format!("`extract.{name}` must be a JSON pointer such as `/case/reference`"),
                        );
                    }
                    let located = Located { value: name.clone(), line, column };
                    self.define(&located, scope);
                }
                if let Some(into) = &http.into {
                    self.define(into, scope);
                }
            }
            StepKind::Set(set) => {
                for value in set.values() {
                    self.check_template(value, scope);
                }
                for (name, value) in set {
                    let located = Located { value: name.clone(), line: value.line, column: value.column };
                    self.define(&located, scope);
                }
            }
            StepKind::If(branch) => {
                self.check_expression(&branch.condition, scope);
                let mut then_scope = scope.clone();
                self.check_steps(&branch.then, &mut then_scope);
                let mut else_scope = scope.clone();
                self.check_steps(&branch.otherwise, &mut else_scope);
                scope.variables.extend(then_scope.variables);
                scope.variables.extend(else_scope.variables);
            }
            StepKind::ForEach(each) => {
                self.check_expression(&each.items, scope);
                let item = each.item.as_ref().map(|item| item.value.as_str()).unwrap_or("item");
                if let Some(name) = &each.item {
                    self.check_new_name(name);
                }
                let mut inner = scope.with(&[item, "loop"]);
                self.check_steps(&each.steps, &mut inner);
            }
            StepKind::Block(block) => {
                self.check_steps(block, scope);
            }
            StepKind::Call(call) => {
                for value in call.inputs.values() {
                    self.check_template(value, scope);
                }
                self.check_call(call);
                if let Some(into) = &call.into {
                    self.define(into, scope);
                }
            }
            StepKind::HumanTask(task) => {
                self.check_template(&task.title, scope);
                if let Some(details) = &task.details {
                    self.check_template(details, scope);
                }
                if let Some(into) = &task.into {
                    self.define(into, scope);
                }
            }
            StepKind::Notify(notify) => {
                for template in notify.message.templates() {
                    self.check_template(&template, scope);
                }
            }
            StepKind::Succeed(succeed) => {
                let declared: Vec<String> = self.workflow().outputs.keys().cloned().collect();
                for (name, value) in &succeed.outputs {
                    self.check_template(value, scope);
                    if !declared.contains(name) {
                        let message = match closest(name, declared.iter().map(String::as_str)) {
                            Some(suggestion) => {
                                format!("output `{name}` is not declared in `outputs`; did you mean `{suggestion}`?")
                            }
                            None => format!("output `{name}` is not declared in `outputs`"),
                        };
                        self.error(value.line, value.column, message);
                    }
                }
                for name in &declared {
                    if !succeed.outputs.contains_key(name) {
                        self.error(line, column, format!("this `succeed` does not give the declared output `{name}`"));
                    }
                }
                for template in succeed.message.iter().flat_map(|message| message.templates()) {
                    self.check_template(&template, scope);
                }
            }
            StepKind::Escalate(escalate) => self.check_template(&escalate.reason, scope),
            StepKind::Fail(fail) => {
                for template in fail.message.templates() {
                    self.check_template(&template, scope);
                }
                if let Some(reason) = &fail.reason {
                    self.check_template(reason, scope);
                }
            }
            StepKind::Wait(_) => {}
        }
    }

    fn check_call(&mut self, call: &super::step::CallStep) {
        let target = &call.workflow;
        let Some(callee) = self.workflows.get(&target.value) else {
            if let Some(error) = self.unreadable.get(&target.value) {
                let message = format!(
                    "workflow `{}` cannot be called, since its file has an error: {}:{}:{}: {}",
                    target.value,
                    error.file.display(),
                    error.line,
                    error.column,
                    error.message
                );
                self.error(target.line, target.column, message);
                return;
            }
            let message = match closest(&target.value, self.workflows.keys().map(String::as_str)) {
                Some(suggestion) => format!("no workflow is named `{}`; did you mean `{suggestion}`?", target.value),
                None => format!("no workflow is named `{}` among the files being checked", target.value),
            };
            self.error(target.line, target.column, message);
            return;
        };
        if target.value == self.workflow().name.value {
            self.error(target.line, target.column, "a workflow cannot call itself");
        }
        let declared: Vec<&str> = callee.inputs.iter().map(|input| input.name.value.as_str()).collect();
        for (name, value) in &call.inputs {
            if !declared.contains(&name.as_str()) {
                let message = format!(
                    "workflow `{}` has no input `{name}`; its inputs are {}",
                    target.value,
                    quote_all(&declared)
                );
                self.error(value.line, value.column, message);
            }
        }
        for input in callee.inputs.iter().filter(|input| input.required) {
            if !call.inputs.contains_key(&input.name.value) {
                let message = format!("workflow `{}` needs the input `{}`", target.value, input.name.value);
                self.error(target.line, target.column, message);
            }
        }
    }

    /// A `progress` text is shown to residents as written: a short line, with no template, so
    /// no input, secret or variable can ever reach it.
    fn check_progress(&mut self, progress: &Located<String>) {
        let (line, column) = (progress.line, progress.column);
        if progress.trim().is_empty() {
            self.error(line, column, "`progress` is empty; say in plain words what the resident is waiting for");
        } else if is_template(progress) {
            self.error(
                line,
                column,
                "`progress` is shown to the resident as written and cannot use templates, so no personal detail reaches it",
            );
        } else if progress.chars().any(char::is_control) {
            self.error(line, column, "`progress` must be one line");
        } else if progress.chars().count() > MAX_PROGRESS_CHARS {
            self.error(
                line,
                column,
                format!(
                    "`progress` has {} characters; keep it to {MAX_PROGRESS_CHARS}, such as `Sending your repair`",
                    progress.chars().count()
                ),
            );
        }
    }

    fn check_locator(&mut self, locator: &Locator, line: u64, column: u64, scope: &Scope) {
        if locator.strategies() != 1 {
            self.error(
                line,
                column,
                "name the element with exactly one of `css`, `xpath`, `link`, `label`, `text`, `shadow` and `element`",
            );
        }
        let given = [&locator.css, &locator.xpath, &locator.link, &locator.label, &locator.text, &locator.shadow];
        for text in given.into_iter().flatten() {
            self.check_template(text, scope);
        }
        if let Some(variable) = &locator.element {
            // The variable must be set before the step, as for any name a template uses.
            let used = Located { value: format!("{{{{ {} }}}}", variable.value), ..variable.clone() };
            self.check_template(&used, scope);
        }
        match &locator.nth {
            Some(Nth::Number(0)) => self.error(line, column, "`nth` counts from 1"),
            Some(Nth::Template(text)) => {
                let template = Located { value: text.clone(), line, column };
                if is_template(text) {
                    self.check_template(&template, scope);
                } else {
                    self.error(line, column, format!("`nth` needs a number from 1 or a template, not {text:?}"));
                }
            }
            _ => {}
        }
        if locator.nth.is_some() && locator.first {
            self.error(line, column, "give `nth` or `first`, not both");
        }
    }

    fn check_attribute(&mut self, attribute: &AttributeCheck, line: u64, column: u64, scope: &Scope) {
        match (&attribute.is, &attribute.matches) {
            (Some(value), None) => self.check_template(value, scope),
            (None, Some(pattern)) => self.check_pattern(pattern, scope),
            _ => self.error(line, column, "an `attribute` check needs exactly one of `is` and `matches`"),
        }
    }

    fn check_pattern(&mut self, pattern: &Template, scope: &Scope) {
        if is_template(pattern) {
            self.check_template(pattern, scope);
        } else if let Err(error) = Regex::new(pattern) {
            self.error(pattern.line, pattern.column, format!("not a regular expression: {error}"));
        }
    }

    fn check_json_templates(&mut self, json: &serde_json::Value, line: u64, column: u64, scope: &Scope) {
        match json {
            serde_json::Value::String(text) => {
                self.check_template(&Located { value: text.clone(), line, column }, scope);
            }
            serde_json::Value::Array(items) => {
                items.iter().for_each(|item| self.check_json_templates(item, line, column, scope))
            }
            serde_json::Value::Object(fields) => {
                fields.values().for_each(|value| self.check_json_templates(value, line, column, scope))
            }
            _ => {}
        }
    }

    fn check_template(&mut self, template: &Template, scope: &Scope) {
        match names_in_template(template) {
            Ok(names) => self.check_names(names, template, scope),
            Err(error) => self.error(template.line, template.column, format!("template error: {error}")),
        }
    }

    fn check_expression(&mut self, expression: &Template, scope: &Scope) {
        match names_in_expression(expression) {
            Ok(names) => self.check_names(names, expression, scope),
            Err(error) => self.error(expression.line, expression.column, format!("expression error: {error}")),
        }
    }

    fn check_names(&mut self, names: BTreeSet<String>, at: &Template, scope: &Scope) {
        for name in names {
            if let Some(problem) = self.unknown_name(&name, scope) {
                self.error(at.line, at.column, problem);
            }
        }
    }

    /// Why a name used in a template is not defined, if it is not.
    fn unknown_name(&self, dotted: &str, scope: &Scope) -> Option<String> {
        let mut parts = dotted.split('.');
        let root = parts.next().unwrap_or_default();
        let field = parts.next();
        match root {
            "inputs" => {
                let declared: Vec<&str> =
                    self.workflow().inputs.iter().map(|input| input.name.value.as_str()).collect();
                let field = field?;
                (!declared.contains(&field)).then(|| match closest(field, declared.iter().copied()) {
                    Some(suggestion) => {
                        format!("`inputs.{field}` is not a declared input; did you mean `inputs.{suggestion}`?")
                    }
                    None => {
                        format!("`inputs.{field}` is not a declared input; the inputs are {}", quote_all(&declared))
                    }
                })
            }
            "secrets" => {
                let declared: Vec<&str> = self.workflow().secrets.iter().map(|secret| secret.value.as_str()).collect();
                let field = field?;
                (!declared.contains(&field)).then(|| match closest(field, declared.iter().copied()) {
                    Some(suggestion) => {
                        format!("secret `{field}` is not listed in `secrets`; did you mean `{suggestion}`?")
                    }
                    None => format!("secret `{field}` is not listed in `secrets`"),
                })
            }
            _ if BUILT_IN_NAMES.contains(&root) || scope.variables.contains(root) => None,
            _ => {
                let mut known: Vec<&str> = scope.variables.iter().map(String::as_str).collect();
                known.extend(["inputs", "secrets"]);
                known.extend(BUILT_IN_NAMES);
                Some(match closest(root, known) {
                    Some(suggestion) => format!("`{root}` is not defined here; did you mean `{suggestion}`?"),
                    None => format!(
                        "`{root}` is not defined here: use `inputs.NAME`, `secrets.NAME`, or a variable set by an earlier step"
                    ),
                })
            }
        }
    }

    fn check_new_name(&mut self, name: &Located<String>) {
        let reserved = ["inputs", "secrets", "run", "system", "error", "loop"];
        if !is_identifier(name) {
            self.error(name.line, name.column, format!("variable name `{}` must be snake_case", name.value));
        } else if reserved.contains(&name.value.as_str()) {
            self.error(name.line, name.column, format!("`{}` is a reserved name; choose another", name.value));
        }
    }

    fn define(&mut self, name: &Located<String>, scope: &mut Scope) {
        self.check_new_name(name);
        scope.variables.insert(name.value.clone());
    }
}

impl Locator {
    /// How many ways of finding the element are given (exactly one is valid).
    pub fn strategies(&self) -> usize {
        [&self.css, &self.xpath, &self.link, &self.label, &self.text, &self.shadow]
            .iter()
            .filter(|given| given.is_some())
            .count()
            + usize::from(self.element.is_some())
    }
}

/// Checks a five-field cron schedule.
fn check_cron(schedule: &str) -> Result<(), String> {
    super::schedule::Schedule::parse(schedule).map(|_| ())
}
