//! What templates in a running workflow can see: inputs, secrets, the run, the system and the
//! variables set so far.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::workflow::Workflow;
use crate::workflow::template::{render, render_value, truth};

/// A workflow being worked: the run's own, or one it called.
#[derive(Debug, Clone)]
pub struct Frame {
    /// The workflow.
    pub workflow: Arc<Workflow>,
    /// Its inputs.
    pub inputs: Map<String, Value>,
    /// Its secrets, by name.
    pub secrets: BTreeMap<String, String>,
    /// The variables set by its steps so far.
    pub vars: Map<String, Value>,
    /// `run` as templates see it.
    pub run: Value,
    /// The base URL of the workflow's system, worked out once: it depends only on the inputs,
    /// secrets and run, which do not change.
    base_url: Result<Option<String>, String>,
}

impl Frame {
    /// A workflow about to be worked; `system_url` is the base URL the deployment gives its
    /// system, replacing the workflow's own.
    pub fn new(
        workflow: Arc<Workflow>,
        inputs: Map<String, Value>,
        secrets: BTreeMap<String, String>,
        run: Value,
        system_url: Option<String>,
    ) -> Frame {
        let mut frame = Frame { workflow, inputs, secrets, vars: Map::new(), run, base_url: Ok(None) };
        frame.base_url = match (system_url, &frame.workflow.system) {
            (Some(url), _) => Ok(Some(url)),
            (None, Some(system)) => frame.render_without_system(&system.base_url).map(Some),
            (None, None) => Ok(None),
        };
        frame
    }

    /// The base URL of the workflow's system, rendered, if it has one.
    pub fn base_url(&self) -> Result<Option<String>, String> {
        self.base_url.clone()
    }

    fn render_without_system(&self, text: &str) -> Result<String, String> {
        let mut context = self.base_context();
        context.insert("system".to_string(), json!({}));
        render(text, &minijinja::Value::from(minijinja::value::Serde(&context)))
    }

    fn base_context(&self) -> Map<String, Value> {
        let mut context = self.vars.clone();
        context.insert("inputs".to_string(), Value::Object(self.inputs.clone()));
        context.insert("secrets".to_string(), serde_json::to_value(&self.secrets).unwrap_or_default());
        context.insert("run".to_string(), self.run.clone());
        context
    }

    /// Everything templates can see.
    pub fn context(&self) -> minijinja::Value {
        let mut context = self.base_context();
        let system = match &self.workflow.system {
            Some(system) => json!({
                "name": system.name,
                "base_url": self.base_url.clone().ok().flatten().unwrap_or_default(),
            }),
            None => json!({}),
        };
        context.insert("system".to_string(), system);
        minijinja::Value::from(minijinja::value::Serde(&context))
    }

    /// A template rendered to text.
    pub fn text(&self, template: &str) -> Result<String, String> {
        render(template, &self.context())
    }

    /// A template rendered to a value: `{{ expression }}` alone keeps its type.
    pub fn value(&self, template: &str) -> Result<Value, String> {
        let value = render_value(template, &self.context())?;
        serde_json::to_value(&value).map_err(|error| format!("the value cannot be kept: {error}"))
    }

    /// An expression's value, such as `rows` or `inputs.items | reverse` (`{{ }}` around it allowed).
    pub fn evaluate(&self, expression: &str) -> Result<Value, String> {
        let value = crate::workflow::template::evaluate(expression, &self.context())?;
        serde_json::to_value(&value).map_err(|error| format!("the value cannot be kept: {error}"))
    }

    /// A condition's truth.
    pub fn truth(&self, expression: &str) -> Result<bool, String> {
        truth(expression, &self.context())
    }

    /// A JSON body with every string in it rendered as a template.
    pub fn json(&self, body: &Value) -> Result<Value, String> {
        Ok(match body {
            Value::String(text) => self.value(text)?,
            Value::Array(items) => Value::Array(items.iter().map(|item| self.json(item)).collect::<Result<_, _>>()?),
            Value::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(name, value)| Ok((name.clone(), self.json(value)?)))
                    .collect::<Result<_, String>>()?,
            ),
            other => other.clone(),
        })
    }
}

/// The variables that differ between two sets of variables: what a step set.
pub fn changes(before: &Map<String, Value>, after: &Map<String, Value>) -> Map<String, Value> {
    after
        .iter()
        .filter(|(name, value)| before.get(*name) != Some(value))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect()
}
