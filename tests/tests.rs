//! End-to-end tests of the councilbot command line.

mod support;

mod answer_feedback;
mod answering;
mod api;
mod browser;
mod clarifying;
mod console;
mod console_answers;
mod console_live;
mod conversations;
mod corpora;
mod councils;
mod curated_answers;
mod evaluation;
mod evaluation_model;
mod fuzzing;
mod indexing;
mod instances;
mod one_command;
mod privacy;
mod reload;
mod sample_site;
mod security_automation;
mod security_channels;
mod security_console;
mod service_examples;
mod service_requests;
mod sms;
mod teams;
mod welsh;
mod widget;
mod workflows;
