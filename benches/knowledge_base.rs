//! Knowledge base benchmark: indexes a synthetic corpus of council-like pages, then measures
//! search and `ask` latency. Run with `cargo bench --bench knowledge_base`; set
//! `BENCH_PAGES` to change the corpus size (default 10,000).

use std::path::Path;
use std::time::{Duration, Instant};

use bot::{AnswerSettings, ExtractiveAnswerer};
use knowledge_base::{Audience, IndexSettings, KnowledgeBase, SearchRequest, TokenCounter, build_index};

/// Words pages are made of; the topics give them realistic, overlapping vocabulary.
const TOPICS: &[&str] = &[
    "bin collection recycling garden waste bulky items missed crews caddy food glass",
    "council tax band discount exemption payment instalment direct debit reduction bill",
    "housing repair tenant emergency damp mould heating boiler rent arrears landlord",
    "planning permission application extension fence neighbour building control tree",
    "parking permit resident visitor penalty charge notice appeal car park blue badge",
    "benefits housing benefit support payment school meals universal credit claim",
    "library books borrow renew opening hours ebooks events children reading computer",
    "register birth death marriage ceremony certificate appointment notice registrar",
];
const COMMON: &str = "you your we our can will must need apply online phone form days weeks within \
    after before each every year month week service area home property address change \
    report request contact team office information details check help";

/// A small deterministic random number generator (xorshift64*).
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, words: &[&'a str]) -> &'a str {
        words[self.below(words.len())]
    }
}

fn sentence(random: &mut Random, topic: &[&str], common: &[&str]) -> String {
    let length = 8 + random.below(12);
    let mut words: Vec<String> = (0..length)
        .map(|_| if random.below(3) == 0 { random.pick(topic).to_string() } else { random.pick(common).to_string() })
        .collect();
    if random.below(4) == 0 {
        words.push(format!("£{}", 10 + random.below(490)));
    }
    let mut text = words.join(" ");
    text[..1].make_ascii_uppercase();
    text.push('.');
    text
}

/// Writes `pages` pages, half HTML with page furniture and half Markdown with front matter.
fn write_corpus(dir: &Path, pages: usize) -> Vec<String> {
    let common: Vec<&str> = COMMON.split_whitespace().collect();
    let mut random = Random(0x5eed_cafe_f00d_u64);
    let mut titles = Vec::new();
    for page in 0..pages {
        let topic_index = random.below(TOPICS.len());
        let topic: Vec<&str> = TOPICS[topic_index].split_whitespace().collect();
        let title = format!("{} {} {} {page}", random.pick(&topic), random.pick(&topic), random.pick(&common));
        let sections: Vec<(String, Vec<String>)> = (0..3 + random.below(3))
            .map(|_| {
                let heading = format!("{} {}", random.pick(&topic), random.pick(&common));
                let paragraphs = (0..2 + random.below(3))
                    .map(|_| {
                        (0..2 + random.below(3))
                            .map(|_| sentence(&mut random, &topic, &common))
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .collect();
                (heading, paragraphs)
            })
            .collect();
        let area = format!("area{topic_index}");
        let folder = dir.join(&area);
        std::fs::create_dir_all(&folder).expect("create corpus folder");
        if page % 2 == 0 {
            let mut html = format!(
                "<!DOCTYPE html><html><head><title>{title} - Bench Council</title><link rel=\"canonical\" href=\"https://bench.example/{page}\"><script>var tracking = 1;</script></head><body><div class=\"cookie-banner\">We use cookies</div><nav><a href=\"/\">Home</a></nav><main><h1>{title}</h1>"
            );
            for (heading, paragraphs) in &sections {
                html.push_str(&format!("<h2>{heading}</h2>"));
                for paragraph in paragraphs {
                    html.push_str(&format!("<p>{paragraph}</p>"));
                }
            }
            html.push_str("</main><footer>Copyright</footer></body></html>");
            std::fs::write(folder.join(format!("page-{page}.html")), html).expect("write page");
        } else {
            let mut markdown = format!(
                "---\ntitle: {title}\nurl: https://bench.example/{page}\nservice_area: {area}\n---\n\n# {title}\n\n"
            );
            for (heading, paragraphs) in &sections {
                markdown.push_str(&format!("## {heading}\n\n"));
                for paragraph in paragraphs {
                    markdown.push_str(&format!("{paragraph}\n\n"));
                }
            }
            std::fs::write(folder.join(format!("page-{page}.md")), markdown).expect("write page");
        }
        titles.push(title);
    }
    titles
}

fn directory_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| entries.flatten().filter_map(|entry| entry.metadata().ok()).map(|meta| meta.len()).sum())
        .unwrap_or(0)
}

fn percentile(sorted: &[Duration], fraction: f64) -> f64 {
    let rank = ((fraction * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1].as_secs_f64() * 1000.0
}

fn queries(titles: &[String], count: usize) -> Vec<String> {
    let common: Vec<&str> = COMMON.split_whitespace().collect();
    let mut random = Random(42);
    (0..count)
        .map(|n| {
            let topic: Vec<&str> = TOPICS[random.below(TOPICS.len())].split_whitespace().collect();
            match n % 3 {
                0 => format!("how do I {} my {} {}", random.pick(&common), random.pick(&topic), random.pick(&topic)),
                1 => format!("{} {}", random.pick(&topic), random.pick(&topic)),
                _ => titles[random.below(titles.len())].clone(),
            }
        })
        .collect()
}

fn time_each(queries: &[String], mut run: impl FnMut(&str)) -> Vec<Duration> {
    let mut times: Vec<Duration> = queries
        .iter()
        .map(|query| {
            let started = Instant::now();
            run(query);
            started.elapsed()
        })
        .collect();
    times.sort();
    times
}

fn main() {
    // `cargo test --benches` runs bench targets with `--bench` absent; do a tiny run then.
    let quick = !std::env::args().any(|arg| arg == "--bench");
    let pages: usize = std::env::var("BENCH_PAGES").ok().and_then(|value| value.parse().ok()).unwrap_or(if quick {
        200
    } else {
        10_000
    });
    let corpus = tempfile::tempdir().expect("temp dir");
    let index_dir = tempfile::tempdir().expect("temp dir");
    let titles = write_corpus(corpus.path(), pages);

    let counter = TokenCounter::built_in().expect("tokenizer");
    let started = Instant::now();
    let report =
        build_index(index_dir.path(), &[corpus.path().to_path_buf()], &IndexSettings::default(), &counter, &|_| {})
            .expect("index builds");
    let indexing = started.elapsed();
    assert_eq!(report.documents, pages, "every page indexed: {:?}", report.skipped.first());

    let knowledge_base = KnowledgeBase::open(index_dir.path()).expect("index opens");
    let queries = queries(&titles, if quick { 100 } else { 2_000 });
    let search = |query: &str| {
        let results = knowledge_base.search(&SearchRequest { limit: 10, ..SearchRequest::new(query) }).expect("search");
        std::hint::black_box(results);
    };
    time_each(&queries[..queries.len() / 10], search);
    let search_times = time_each(&queries, search);

    let answerer = ExtractiveAnswerer::new(&knowledge_base, AnswerSettings::default());
    let ask = |query: &str| {
        std::hint::black_box(answerer.answer(query, Audience::Public).expect("answer"));
    };
    time_each(&queries[..queries.len() / 10], ask);
    let ask_times = time_each(&queries, ask);

    println!("pages                 {pages}");
    println!("passages              {}", report.passages);
    println!("index time            {:.2} s", indexing.as_secs_f64());
    println!("index throughput      {:.0} pages/s", pages as f64 / indexing.as_secs_f64());
    println!("index size            {:.1} MiB", directory_size(index_dir.path()) as f64 / (1024.0 * 1024.0));
    println!(
        "search latency        p50 {:.3} ms, p99 {:.3} ms ({} queries)",
        percentile(&search_times, 0.5),
        percentile(&search_times, 0.99),
        queries.len()
    );
    println!(
        "ask latency           p50 {:.3} ms, p99 {:.3} ms ({} questions)",
        percentile(&ask_times, 0.5),
        percentile(&ask_times, 0.99),
        queries.len()
    );
}
