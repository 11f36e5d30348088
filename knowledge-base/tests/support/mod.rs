//! A small council site written to a temporary directory, and helpers to index it.

use std::path::{Path, PathBuf};

use knowledge_base::{IndexEvent, IndexReport, IndexSettings, KnowledgeBase, TokenCounter, build_index};

/// A temporary content directory and index directory.
pub struct Site {
    pub root: tempfile::TempDir,
    pub index: tempfile::TempDir,
}

pub const MISSED_BINS: &str = r##"<!DOCTYPE html><html><head><title>Report a missed bin - Test Council</title>
<link rel="canonical" href="https://www.test.gov.uk/waste/missed-bins"></head><body>
<nav><a href="/">Home</a> <a href="/parking">Parking permits</a></nav>
<main><h1>Report a missed bin</h1>
<p>If your bin was not emptied on collection day, report it within 2 working days.</p>
<h2>What happens next</h2><p>Our crews return to empty it within 3 working days.</p></main>
<footer>Cookies and privacy</footer></body></html>"##;

pub const COUNCIL_TAX: &str = "---\ntitle: Council tax bands\nurl: https://www.test.gov.uk/council-tax/bands\nservice_area: council tax\n---\n\n# Council tax bands\n\nBand D costs £2,184.56 a year.\n\n## Discounts\n\nIf you live alone you get a single person discount of 25%.\n";

pub const STAFF_GUIDE: &str = "---\ntitle: Refund authorisation limits\nurl: https://intranet.test.gov.uk/refunds\naudience: staff\nservice_area: council tax\n---\n\nRefunds over £500 need team leader approval on extension 4410.\n";

pub const LIBRARY_NOTICE: &str =
    "Library opening hours\n\nThe central library opens at 9am on Saturdays and closes at 5pm.\n";

impl Site {
    /// The sample site: a missed-bins page, a council tax page, a staff guide and a notice.
    pub fn new() -> Site {
        let site = Site { root: tempfile::tempdir().expect("temp dir"), index: tempfile::tempdir().expect("temp dir") };
        site.write("waste/missed-bins.html", MISSED_BINS);
        site.write("council-tax/bands.md", COUNCIL_TAX);
        site.write("staff/refunds.md", STAFF_GUIDE);
        site.write("libraries/hours.txt", LIBRARY_NOTICE);
        site.write("waste/logo.png", "not content");
        site
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.root.path().join(relative)
    }

    pub fn write(&self, relative: &str, contents: impl AsRef<[u8]>) {
        let path = self.path(relative);
        std::fs::create_dir_all(path.parent().expect("has parent")).expect("create dirs");
        std::fs::write(path, contents).expect("write file");
    }

    /// Indexes the site with default settings, collecting the warnings shown.
    pub fn index(&self) -> (IndexReport, Vec<String>) {
        self.index_with(&IndexSettings::default())
    }

    pub fn index_with(&self, settings: &IndexSettings) -> (IndexReport, Vec<String>) {
        index_dirs(self.index.path(), &[self.root.path().to_path_buf()], settings)
    }

    pub fn open(&self) -> KnowledgeBase {
        KnowledgeBase::open(self.index.path()).expect("index opens")
    }

    pub fn index_dir(&self) -> PathBuf {
        self.index.path().to_path_buf()
    }
}

pub fn index_dirs(index: &Path, roots: &[PathBuf], settings: &IndexSettings) -> (IndexReport, Vec<String>) {
    let warnings = std::sync::Mutex::new(Vec::new());
    let counter = TokenCounter::built_in().expect("built-in tokenizer loads");
    let report = build_index(index, roots, settings, &counter, &|event| {
        if let IndexEvent::Skipped(skipped) = event {
            warnings.lock().expect("lock").push(format!("{}: {}", skipped.path.display(), skipped.reason));
        }
    })
    .expect("indexing succeeds");
    (report, warnings.into_inner().expect("lock"))
}
