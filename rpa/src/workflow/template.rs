//! Templates and expressions in workflow values, rendered strictly: an undefined name is an error.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use minijinja::{Environment, UndefinedBehavior, Value};

static ENVIRONMENT: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut environment = Environment::new();
    environment.set_undefined_behavior(UndefinedBehavior::Strict);
    environment.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    environment.add_filter("uk_date", uk_date);
    environment.add_test("startswith", |text: &str, start: &str| text.starts_with(start));
    environment.add_test("matches", matches);
    environment
});

/// Whether some of the text matches a regular expression (anchor it with `^…$` for all of it).
fn matches(text: &str, pattern: &str) -> Result<bool, minijinja::Error> {
    let expression = regex::Regex::new(pattern).map_err(|error| {
        minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            format!("`matches` needs a regular expression; {pattern:?} is not one: {error}"),
        )
    })?;
    Ok(expression.is_match(text))
}

/// A date written `YYYY-MM-DD` (as date inputs are) as `DD/MM/YYYY`, the way UK systems want it.
fn uk_date(value: String) -> Result<String, minijinja::Error> {
    let parts: Vec<&str> = value.trim().split('-').collect();
    match parts.as_slice() {
        [year, month, day] if year.len() == 4 && month.len() == 2 && day.len() == 2 => {
            Ok(format!("{day}/{month}/{year}"))
        }
        _ => Err(minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            format!("uk_date needs a date written YYYY-MM-DD, not {value:?}"),
        )),
    }
}

/// Whether the text is a template at all (plain text renders as itself).
pub fn is_template(text: &str) -> bool {
    text.contains("{{") || text.contains("{%")
}

/// The expression of a value written wholly as `{{ expression }}`, whose result keeps its type.
fn whole_expression(text: &str) -> Option<&str> {
    let inner = text.trim().strip_prefix("{{")?.strip_suffix("}}")?;
    (!inner.contains("{{") && !inner.contains("}}")).then_some(inner.trim())
}

/// Renders a template to text.
pub fn render(text: &str, context: &Value) -> Result<String, String> {
    if !is_template(text) {
        return Ok(text.to_string());
    }
    ENVIRONMENT.render_str(text, context).map_err(|error| describe(&error))
}

/// Renders a value: `{{ expression }}` alone keeps the expression's type (a list stays a list),
/// anything else renders to text.
pub fn render_value(text: &str, context: &Value) -> Result<Value, String> {
    match whole_expression(text) {
        Some(expression) => evaluate(expression, context),
        None => render(text, context).map(Value::from),
    }
}

/// Evaluates an expression such as `rows | length > 0`; `{{ }}` around it is allowed.
pub fn evaluate(expression: &str, context: &Value) -> Result<Value, String> {
    let expression = whole_expression(expression).unwrap_or(expression);
    let compiled = ENVIRONMENT.compile_expression(expression).map_err(|error| describe(&error))?;
    compiled.eval(context).map_err(|error| describe(&error))
}

/// Evaluates a condition to true or false.
pub fn truth(expression: &str, context: &Value) -> Result<bool, String> {
    evaluate(expression, context).map(|value| value.is_true())
}

/// The names a template uses, with dotted attribute paths (`inputs.postcode`), or its syntax error.
pub fn names_in_template(text: &str) -> Result<BTreeSet<String>, String> {
    if !is_template(text) {
        return Ok(BTreeSet::new());
    }
    let template = ENVIRONMENT.template_from_str(text).map_err(|error| describe(&error))?;
    Ok(template.undeclared_variables(true).into_iter().collect())
}

/// The names an expression uses, with dotted attribute paths, or its syntax error.
pub fn names_in_expression(expression: &str) -> Result<BTreeSet<String>, String> {
    let expression = whole_expression(expression).unwrap_or(expression);
    let compiled = ENVIRONMENT.compile_expression(expression).map_err(|error| describe(&error))?;
    Ok(compiled.undeclared_variables(true).into_iter().collect())
}

/// The first line of a template error, without MiniJinja's own file and line decoration.
fn describe(error: &minijinja::Error) -> String {
    let mut text = match error.detail() {
        Some(detail) => format!("{}: {detail}", error.kind()),
        None => error.kind().to_string(),
    };
    if let Some(source) = std::error::Error::source(error) {
        text.push_str(&format!(" ({source})"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_expression_keeps_its_type() {
        let context = minijinja::context! { rows => vec![1, 2, 3] };
        assert_eq!(render_value("{{ rows }}", &context).unwrap().len(), Some(3));
        assert_eq!(render_value("{{ rows | length }} rows", &context).unwrap().to_string(), "3 rows");
    }

    #[test]
    fn undefined_names_are_errors() {
        let context = minijinja::context! { inputs => minijinja::context! { name => "Ann" } };
        assert_eq!(render("Hello {{ inputs.name }}", &context).unwrap(), "Hello Ann");
        assert!(render("Hello {{ inputs.surname }}", &context).is_err());
        assert!(truth("inputs.missing == 1", &context).is_err());
    }

    #[test]
    fn dates_are_written_the_uk_way() {
        let context = minijinja::context! { day => "2026-11-23" };
        assert_eq!(render("{{ day | uk_date }}", &context).unwrap(), "23/11/2026");
        assert!(render("{{ 'next week' | uk_date }}", &context).is_err());
    }

    #[test]
    fn text_can_be_tested_for_its_start_and_against_a_regular_expression() {
        let context = minijinja::context! { case => "HR-104233", phone => "01632 960555" };
        assert_eq!(truth("case is startswith('HR-')", &context), Ok(true));
        assert_eq!(truth("phone is startswith('HR-')", &context), Ok(false));
        assert_eq!(truth(r"case is matches('^HR-\d{6}$')", &context), Ok(true));
        assert_eq!(truth(r"phone is matches('^HR-\d{6}$')", &context), Ok(false));
        assert_eq!(render("{{ case | replace('HR-', '') }}", &context).unwrap(), "104233");
        assert_eq!(render("{{ (phone | split(' '))[1] }}", &context).unwrap(), "960555");
        let error = truth("case is matches('HR-(')", &context).unwrap_err();
        assert!(error.contains("is not one"), "{error}");
    }

    #[test]
    fn lists_dotted_names() {
        let names = names_in_template("{{ inputs.postcode }} {{ case.ref }} {% for r in rows %}{{ r }}{% endfor %}");
        assert_eq!(names.unwrap().into_iter().collect::<Vec<_>>(), ["case.ref", "inputs.postcode", "rows"]);
    }
}
