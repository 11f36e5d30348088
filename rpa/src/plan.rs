//! The plan of a dry run: every step with its values filled in from the inputs, without
//! touching any system. Values that only a run can know are shown as placeholders.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::workflow::template::{names_in_template, render};
use crate::workflow::{Catalogue, Located, Locator, Step, Workflow};

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
pub fn plan(workflow: &Workflow, inputs: &Map<String, Value>, catalogue: &Catalogue) -> Vec<PlannedStep> {
    let mut planner = Planner { catalogue, steps: Vec::new(), variables: BTreeSet::new() };
    let context = Planner::context(workflow, inputs);
    planner.walk(&context, &workflow.steps, "", 0);
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
            workflow.secrets.iter().map(|secret| (secret.value.clone(), json!(crate::redact::SECRET_MASK))).collect();
        let mut context = Map::new();
        context.insert("inputs".to_string(), Value::Object(inputs.clone()));
        context.insert("secrets".to_string(), Value::Object(secrets));
        context.insert(
            "run".to_string(),
            json!({ "id": "run_dry", "reference": "CB-DRYRUN0", "workflow": workflow.name.value, "channel": "cli", "today": crate::calendar::today() }),
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
                kind: step.kind().to_string(),
                name: step.describe(),
                values,
                condition: step.when.as_ref().map(|when| when.value.clone()),
            });
            self.define(step);
            if let Some(idempotency) = &step.idempotency {
                self.walk(context, &idempotency.check, &format!("{key}.check."), depth + 1);
            }
            if let Some(branch) = &step.if_then {
                self.walk(context, &branch.then, &format!("{key}.then."), depth + 1);
                self.walk(context, &branch.otherwise, &format!("{key}.else."), depth + 1);
            }
            if let Some(each) = &step.for_each {
                self.variables.insert(each.item.as_ref().map_or("item".to_string(), |item| item.value.clone()));
                self.variables.insert("loop".to_string());
                self.walk(context, &each.steps, &format!("{key}[*]."), depth + 1);
            }
            if let Some(block) = &step.block {
                self.walk(context, block, &format!("{key}."), depth + 1);
            }
            if let Some(call) = &step.call
                && let Some(callee) = self.catalogue.get(&call.workflow)
            {
                let mut inputs = Map::new();
                for (name, template) in &call.inputs {
                    inputs.insert(name.clone(), json!(self.show(context, template)));
                }
                let inner = Planner::context(&callee.workflow, &inputs);
                let saved = std::mem::take(&mut self.variables);
                self.walk(&inner, &callee.workflow.steps, &format!("{key}."), depth + 1);
                self.variables = saved;
            }
            if let Some(on_error) = &step.on_error {
                self.variables.insert("error".to_string());
                self.walk(context, on_error, &format!("{key}.on_error."), depth + 1);
            }
        }
    }

    fn define(&mut self, step: &Step) {
        let mut names: Vec<String> = Vec::new();
        if let Some(extract) = &step.extract {
            names.push(extract.into.value.clone());
        }
        if let Some(into) = step.script.as_ref().and_then(|script| script.into.as_ref()) {
            names.push(into.value.clone());
        }
        if let Some(http) = &step.http {
            names.extend(http.extract.keys().cloned());
            names.extend(http.into.iter().map(|into| into.value.clone()));
        }
        if let Some(set) = &step.set {
            names.extend(set.keys().cloned());
        }
        names.extend(step.call.as_ref().and_then(|call| call.into.as_ref()).map(|into| into.value.clone()));
        names.extend(step.human_task.as_ref().and_then(|task| task.into.as_ref()).map(|into| into.value.clone()));
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
            ] {
                if let Some(template) = template {
                    add(how, template);
                }
            }
        };
        if let Some(url) = &step.open {
            add("address", url);
        }
        if let Some(locator) = &step.click {
            element(&mut add, locator);
        }
        if let Some(fill) = &step.fill {
            element(&mut add, &fill.locator());
            add("value", &fill.value);
        }
        if let Some(select) = &step.select {
            element(&mut add, &select.locator());
            for template in [&select.option, &select.value].into_iter().flatten() {
                add("option", template);
            }
        }
        if let Some(http) = &step.http {
            add("method", &format!("{:?}", http.method).to_uppercase());
            add("address", &http.url);
            for (name, template) in http.form.iter().flatten() {
                add(name, template);
            }
        }
        if let Some(set) = &step.set {
            for (name, template) in set {
                add(name, template);
            }
        }
        if let Some(notify) = &step.notify {
            add("message", &notify.message);
        }
        if let Some(task) = &step.human_task {
            add("title", &task.title);
        }
        if let Some(succeed) = &step.succeed {
            for (name, template) in &succeed.outputs {
                add(name, template);
            }
        }
        if let Some(fail) = &step.fail {
            add("message", &fail.message);
        }
        values
    }
}
