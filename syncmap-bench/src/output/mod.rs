//! Writing a [`Report`](crate::record::Report): aligned tables, CSV, JSON, Markdown and SVG.

mod csv;
pub use csv::CSV_HEADER;
mod json;
mod markdown;
mod pivot;
mod plot;
mod table;

pub use csv::write_csv;
pub use json::write_json;
pub use markdown::write_markdown;
pub use plot::write_plots;
pub use table::write_table;
