//! The plan of a dry run: every step with its values filled in from the inputs, without
//! touching any system. Values that only a run can know are shown as placeholders.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::workflow::template::{names_in_template, render};
use crate::workflow::{Catalogue, Located, Locator, SelectChoice, Step, StepKind, Workflow, WorkflowFile};

/// One step of a plan.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedStep {
    /// Where the step is in the workflow, as the journal will name it (`*` for each item of a loop).
    pub key: String,
    /// How deeply it is nested, from 0.
    pub depth: usize,
    /// Its kind.
    pub kind: String,
    /// What it does.
    pub name: String,
    /// Its values, filled in: what is typed, clicked, opened or sent.
    pub values: Vec<(String, String)>,
    /// When it runs, if not always.
    pub condition: Option<String>,
}

/// The steps a workflow would take with these inputs; secrets are shown masked.
pub fn plan(file: &WorkflowFile, inputs: &Map<String, Value>, catalogue: &Catalogue) -> Vec<PlannedStep> {
    let mut planner = Planner { catalogue, steps: Vec::new(), variables: BTreeSet::new() };
    let context = Planner::context(&file.workflow, inputs);
    planner.walk(&context, &file.steps, "", 0);
    planner.steps
}

struct Planner<'a> {
    catalogue: &'a Catalogue,
    steps: Vec<PlannedStep>,
    variables: BTreeSet<String>,
}

impl Planner<'_> {
    fn context(workflow: &Workflow, inputs: &Map<String, Value>) -> Map<String, Value> {
        let secrets: Map<String, Value> =
            workflow.secrets.iter().map(|secret| (secret.value.clone(), json!(uk::redact::SECRET_MASK))).collect();
        let mut context = Map::new();
        context.insert("inputs".to_string(), Value::Object(inputs.clone()));
        context.insert("secrets".to_string(), Value::Object(secrets));
        context.insert(
            "run".to_string(),
            json!({ "id": "run_dry", "reference": "CB-DRYRUN0", "workflow": workflow.name.value, "channel": "cli", "today": uk::calendar::today() }),
        );
        let mut system = json!({});
        if let Some(target) = &workflow.system {
            let base = render(&target.base_url, &minijinja::Value::from(minijinja::value::Serde(&context)))
                .unwrap_or_else(|_| target.base_url.value.clone());
            system = json!({ "name": target.name, "base_url": base });
        }
        context.insert("system".to_string(), system);
        context
    }

    /// A template with what is known filled in; what only a run knows stays as written.
    fn show(&self, context: &Map<String, Value>, template: &str) -> String {
        let uses_run_values = names_in_template(template)
            .map(|names| names.iter().any(|name| self.variables.contains(name.split('.').next().unwrap_or_default())))
            .unwrap_or(true);
        if uses_run_values {
            return format!("{template}  (known when it runs)");
        }
        render(template, &minijinja::Value::from(minijinja::value::Serde(context)))
            .unwrap_or_else(|error| format!("{template}  ({error})"))
    }

    fn walk(&mut self, context: &Map<String, Value>, steps: &[Located<Step>], prefix: &str, depth: usize) {
        for (position, step) in steps.iter().enumerate() {
            let key = format!("{prefix}{}", position + 1);
            let values = self.values(context, step);
            self.steps.push(PlannedStep {
                key: key.clone(),
                depth,
                kind: step.kind.name().to_string(),
                name: step.describe(),
                values,
                condition: step.common.when.as_ref().map(|when| when.value.clone()),
            });
            self.define(step);
            if let Some(idempotency) = &step.common.idempotency {
                self.walk(context, &idempotency.check, &format!("{key}.check."), depth + 1);
            }
            match &step.kind {
                StepKind::If(branch) => {
                    self.walk(context, &branch.then, &format!("{key}.then."), depth + 1);
                    self.walk(context, &branch.otherwise, &format!("{key}.else."), depth + 1);
                }
                StepKind::ForEach(each) => {
                    self.variables.insert(each.item.as_ref().map_or("item".to_string(), |item| item.value.clone()));
                    self.variables.insert("loop".to_string());
                    self.walk(context, &each.steps, &format!("{key}[*]."), depth + 1);
                }
                StepKind::Block(block) => self.walk(context, block, &format!("{key}."), depth + 1),
                StepKind::Call(call) => {
                    if let Some(callee) = self.catalogue.get(&call.workflow) {
                        let mut inputs = Map::new();
                        for (name, template) in &call.inputs {
                            inputs.insert(name.clone(), json!(self.show(context, template)));
                        }
                        let inner = Planner::context(&callee.workflow, &inputs);
                        let saved = std::mem::take(&mut self.variables);
                        self.walk(&inner, &callee.steps, &format!("{key}."), depth + 1);
                        self.variables = saved;
                    }
                }
                StepKind::Open(_)
                | StepKind::Click(_)
                | StepKind::Hover(_)
                | StepKind::Scroll(_)
                | StepKind::Drag(_)
                | StepKind::Fill(_)
                | StepKind::Select(_)
                | StepKind::Check(_)
                | StepKind::Upload(_)
                | StepKind::Press(_)
                | StepKind::WaitFor(_)
                | StepKind::Extract(_)
                | StepKind::Assert(_)
                | StepKind::Frame(_)
                | StepKind::Dialog(_)
                | StepKind::Screenshot(_)
                | StepKind::Script(_)
                | StepKind::Http(_)
                | StepKind::Set(_)
                | StepKind::Wait(_)
                | StepKind::HumanTask(_)
                | StepKind::Notify(_)
                | StepKind::Succeed(_)
                | StepKind::Fail(_)
                | StepKind::Escalate(_) => {}
            }
            if let Some(on_error) = &step.common.on_error {
                self.variables.insert("error".to_string());
                self.walk(context, on_error, &format!("{key}.on_error."), depth + 1);
            }
        }
    }

    /// Notes the variables a step sets.
    fn define(&mut self, step: &Step) {
        let names: Vec<String> = match &step.kind {
            StepKind::Extract(extract) => vec![extract.into.value.clone()],
            StepKind::Script(script) => script.into.iter().map(|into| into.value.clone()).collect(),
            StepKind::Http(http) => {
                http.extract.keys().cloned().chain(http.into.iter().map(|into| into.value.clone())).collect()
            }
            StepKind::Set(set) => set.keys().cloned().collect(),
            StepKind::Call(call) => call.into.iter().map(|into| into.value.clone()).collect(),
            StepKind::HumanTask(task) => task.into.iter().map(|into| into.value.clone()).collect(),
            StepKind::Open(_)
            | StepKind::Click(_)
            | StepKind::Hover(_)
            | StepKind::Scroll(_)
            | StepKind::Drag(_)
            | StepKind::Fill(_)
            | StepKind::Select(_)
            | StepKind::Check(_)
            | StepKind::Upload(_)
            | StepKind::Press(_)
            | StepKind::WaitFor(_)
            | StepKind::Assert(_)
            | StepKind::Frame(_)
            | StepKind::Dialog(_)
            | StepKind::Screenshot(_)
            | StepKind::If(_)
            | StepKind::ForEach(_)
            | StepKind::Block(_)
            | StepKind::Wait(_)
            | StepKind::Notify(_)
            | StepKind::Succeed(_)
            | StepKind::Fail(_)
            | StepKind::Escalate(_) => Vec::new(),
        };
        self.variables.extend(names);
    }

    fn values(&self, context: &Map<String, Value>, step: &Step) -> Vec<(String, String)> {
        let mut values = Vec::new();
        let mut add = |label: &str, template: &str| values.push((label.to_string(), self.show(context, template)));
        let element = |add: &mut dyn FnMut(&str, &str), locator: &Locator| {
            for (how, template) in [
                ("css", &locator.css),
                ("xpath", &locator.xpath),
                ("link", &locator.link),
                ("label", &locator.label),
                ("text", &locator.text),
                ("shadow", &locator.shadow),
            ] {
                if let Some(template) = template {
                    add(how, template);
                }
            }
        };
        match &step.kind {
            StepKind::Open(url) => add("address", url),
            StepKind::Click(locator) | StepKind::Hover(locator) => element(&mut add, locator),
            StepKind::Scroll(scroll) => {
                for locator in [&scroll.to, &scroll.within].into_iter().flatten() {
                    element(&mut add, locator);
                }
            }
            StepKind::Drag(drag) => {
                element(&mut add, &drag.from);
                element(&mut add, &drag.to);
            }
            StepKind::Fill(fill) => {
                element(&mut add, &fill.locator());
                add("value", &fill.value);
            }
            StepKind::Select(select) => {
                element(&mut add, &select.locator);
                match &select.choice {
                    SelectChoice::Text(template) | SelectChoice::Value(template) | SelectChoice::Matching(template) => {
                        add("option", template)
                    }
                }
            }
            StepKind::Http(http) => {
                add("method", &format!("{:?}", http.method).to_uppercase());
                add("address", &http.url);
                for (name, template) in http.form.iter().flatten() {
                    add(name, template);
                }
            }
            StepKind::Set(set) => {
                for (name, template) in set {
                    add(name, template);
                }
            }
            StepKind::Notify(notify) => {
                for template in notify.message.templates() {
                    add("message", &template);
                }
            }
            StepKind::HumanTask(task) => add("title", &task.title),
            StepKind::Succeed(succeed) => {
                for (name, template) in &succeed.outputs {
                    add(name, template);
                }
            }
            StepKind::Fail(fail) => {
                for template in fail.message.templates() {
                    add("message", &template);
                }
            }
            StepKind::Escalate(escalate) => add("reason", &escalate.reason),
            StepKind::Check(_)
            | StepKind::Upload(_)
            | StepKind::Press(_)
            | StepKind::WaitFor(_)
            | StepKind::Extract(_)
            | StepKind::Assert(_)
            | StepKind::Frame(_)
            | StepKind::Dialog(_)
            | StepKind::Screenshot(_)
            | StepKind::Script(_)
            | StepKind::If(_)
            | StepKind::ForEach(_)
            | StepKind::Block(_)
            | StepKind::Call(_)
            | StepKind::Wait(_) => {}
        }
        values
    }
}
