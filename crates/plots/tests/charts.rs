//! Writes real charts into a scratch directory and checks the files: both exist, the PNG decodes
//! at the promised size with text drawn in it, the SVG carries the text, nothing temporary is
//! left behind, and awkward inputs draw or fail cleanly instead of panicking.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use ludus_plots::{
    write_heat_map, write_line_chart, write_panels, HeatMap, LineChart, PlotError, Series,
    LINE_CHART_SIZE, PANEL_SIZE,
};

/// A fresh directory under the system temp dir, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("ludus-plots-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn stem(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// File names in the directory, sorted.
    fn listing(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A decoded RGB image.
struct Image {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
}

impl Image {
    fn read(path: &Path) -> Image {
        let bytes = fs::read(path).unwrap();
        assert_eq!(
            &bytes[..8],
            b"\x89PNG\r\n\x1a\n",
            "{} is not a PNG",
            path.display()
        );
        let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
            .read_info()
            .unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!(info.color_type, png::ColorType::Rgb);
        buf.truncate(info.buffer_size());
        Image {
            width: info.width,
            height: info.height,
            rgb: buf,
        }
    }

    /// Pixels in rows `y0..y1`, middle third of the columns, darker than mid-grey in every
    /// channel: black text and axes count, chart colours and light grid lines do not.
    fn dark_pixels(&self, y0: u32, y1: u32) -> usize {
        let (x0, x1) = (self.width / 3, 2 * self.width / 3);
        (y0..y1.min(self.height))
            .flat_map(|y| (x0..x1).map(move |x| (x, y)))
            .filter(|&(x, y)| {
                let i = ((y * self.width + x) * 3) as usize;
                self.rgb[i..i + 3].iter().all(|&c| c < 100)
            })
            .count()
    }
}

/// The contents of the SVG's `<text>` elements (plotters puts each on its own line).
fn svg_texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|chunk| {
            let start = chunk.find('>')? + 1;
            let end = chunk.find("</text>")?;
            Some(chunk[start..end].trim().to_string())
        })
        .collect()
}

fn assert_svg_has(svg: &str, text: &str) {
    let texts = svg_texts(svg);
    assert!(
        texts.iter().any(|t| t == text),
        "SVG lacks text {text:?}; has {texts:?}"
    );
}

fn elo_chart(title: &str) -> LineChart {
    let points: Vec<(f64, f64)> = (0..=20)
        .map(|i| (f64::from(i) * 1000.0, f64::from(i * i)))
        .collect();
    let band = points
        .iter()
        .map(|&(x, y)| (x, y - 15.0, y + 15.0))
        .collect();
    LineChart {
        title: title.into(),
        x_label: "global_step".into(),
        y_label: "Elo".into(),
        series: vec![
            Series::new("alphazero", points).with_band(band),
            Series::new("baseline", vec![(0.0, 100.0), (20_000.0, 100.0)]),
        ],
        y_range: None,
    }
}

#[test]
fn line_chart_writes_png_and_svg_with_text() {
    let dir = Scratch::new("line");
    let stem = dir.stem("elo");
    let written = write_line_chart(&elo_chart("Elo over training"), &stem).unwrap();
    assert_eq!(written, [dir.stem("elo.png"), dir.stem("elo.svg")]);
    assert_eq!(
        dir.listing(),
        ["elo.png", "elo.svg"],
        "no temporary file is left"
    );

    let png = Image::read(&written[0]);
    assert_eq!((png.width, png.height), LINE_CHART_SIZE);

    let svg = fs::read_to_string(&written[1]).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    for text in [
        "Elo over training",
        "alphazero",
        "baseline",
        "global_step",
        "Elo",
    ] {
        assert_svg_has(&svg, text);
    }
    assert!(svg.contains("font-family=\"sans-serif\""));
}

#[test]
fn png_text_is_rasterised_from_the_embedded_font() {
    // The title band is blank except for the title, so dark pixels there are the title's
    // glyphs: present with a title, absent without one. This is the check that fails when
    // plotters has no usable font (no system fonts on CI).
    let dir = Scratch::new("font");
    let with = write_line_chart(&elo_chart("Strength"), &dir.stem("with")).unwrap();
    let without = write_line_chart(&elo_chart(""), &dir.stem("without")).unwrap();
    let band = |path: &Path| Image::read(path).dark_pixels(0, 36);
    let (ink, blank) = (band(&with[0]), band(&without[0]));
    assert!(ink > 100, "title drew only {ink} dark pixels");
    assert_eq!(
        blank, 0,
        "untitled chart has {blank} dark pixels in the title band"
    );
}

#[test]
fn panels_form_a_grid() {
    let dir = Scratch::new("panels");
    let charts: Vec<LineChart> = ["losses", "strength", "optimal-move share", "elo"]
        .iter()
        .map(|t| elo_chart(t))
        .collect();
    let written = write_panels(&charts, 3, &dir.stem("overview")).unwrap();
    let png = Image::read(&written[0]);
    assert_eq!(
        (png.width, png.height),
        (3 * PANEL_SIZE.0, 2 * PANEL_SIZE.1)
    );
    let svg = fs::read_to_string(&written[1]).unwrap();
    for title in ["losses", "strength", "optimal-move share", "elo"] {
        assert_svg_has(&svg, title);
    }

    // More columns than charts: one row, as wide as the charts.
    let written = write_panels(&charts[..2], 5, &dir.stem("wide")).unwrap();
    let png = Image::read(&written[0]);
    assert_eq!((png.width, png.height), (2 * PANEL_SIZE.0, PANEL_SIZE.1));

    assert!(matches!(
        write_panels(&[], 2, &dir.stem("none")),
        Err(PlotError::InvalidInput(_))
    ));
    assert!(matches!(
        write_panels(&charts, 0, &dir.stem("zero")),
        Err(PlotError::InvalidInput(_))
    ));
    assert_eq!(
        dir.listing(),
        ["overview.png", "overview.svg", "wide.png", "wide.svg"]
    );
}

#[test]
fn awkward_line_data_draws_without_panicking() {
    let nan = f64::NAN;
    let inf = f64::INFINITY;
    let cases = [
        ("empty", LineChart::default()),
        (
            "one-point",
            LineChart {
                series: vec![Series::new("one", vec![(3.0, 7.0)])],
                ..LineChart::default()
            },
        ),
        (
            "flat",
            LineChart {
                series: vec![Series::new(
                    "flat",
                    vec![(0.0, 0.0), (1.0, 0.0), (2.0, 0.0)],
                )],
                ..LineChart::default()
            },
        ),
        (
            "vertical",
            LineChart {
                series: vec![Series::new("same x", vec![(5.0, 1.0), (5.0, 2.0)])],
                ..LineChart::default()
            },
        ),
        (
            "non-finite",
            LineChart {
                title: "NaN and inf are skipped".into(),
                series: vec![
                    Series::new(
                        "gaps",
                        vec![(0.0, 1.0), (1.0, nan), (2.0, 3.0), (inf, 4.0), (4.0, 2.0)],
                    )
                    .with_band(vec![
                        (0.0, 0.5, 1.5),
                        (1.0, nan, 2.0),
                        (2.0, 2.5, 3.5),
                        (3.0, 1.0, 3.0),
                    ]),
                    Series::new("all bad", vec![(nan, nan), (-inf, 1.0)]),
                    Series::new("", vec![]),
                ],
                ..LineChart::default()
            },
        ),
        (
            "clipped",
            LineChart {
                series: vec![Series::new(
                    "wild",
                    vec![(0.0, -5.0), (1.0, 0.5), (2.0, 9.0), (3.0, 0.2)],
                )
                .with_band(vec![(0.0, -6.0, 6.0), (3.0, -6.0, 6.0)])],
                y_range: Some((0.0, 1.0)),
                ..LineChart::default()
            },
        ),
        (
            "extreme",
            LineChart {
                series: vec![Series::new(
                    "huge and tiny",
                    vec![(0.0, 1e300), (1e-300, -1e300), (2e-300, 0.0)],
                )],
                ..LineChart::default()
            },
        ),
        (
            "unicode",
            LineChart {
                title: "Élo — ΔW/L ≥ 0 <&> \u{1F600}".into(),
                x_label: "   ".into(),
                series: vec![Series::new("agent «α»", vec![(0.0, 1.0), (1.0, 2.0)])],
                ..LineChart::default()
            },
        ),
    ];
    let dir = Scratch::new("awkward");
    for (name, chart) in &cases {
        let written =
            write_line_chart(chart, &dir.stem(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let png = Image::read(&written[0]);
        assert_eq!((png.width, png.height), LINE_CHART_SIZE, "{name}");
    }
    let svg = fs::read_to_string(dir.stem("unicode.svg")).unwrap();
    assert_svg_has(&svg, "Élo — ΔW/L ≥ 0 &lt;&amp;&gt; \u{1F600}");
    assert_svg_has(&svg, "agent «α»");
    let empty = fs::read_to_string(dir.stem("empty.svg")).unwrap();
    assert_svg_has(&empty, "no data");
    assert_eq!(dir.listing().len(), 2 * cases.len());
}

#[test]
fn invalid_line_input_is_an_error_and_writes_nothing() {
    let dir = Scratch::new("invalid-line");
    for y_range in [
        (1.0, 1.0),
        (2.0, 1.0),
        (f64::NAN, 1.0),
        (0.0, f64::INFINITY),
    ] {
        let chart = LineChart {
            y_range: Some(y_range),
            ..elo_chart("bad")
        };
        let err = write_line_chart(&chart, &dir.stem("bad")).unwrap_err();
        assert!(
            matches!(err, PlotError::InvalidInput(_)),
            "{y_range:?}: {err}"
        );
    }
    let overflowing = LineChart {
        series: vec![Series::new("x", vec![(0.0, -1e308), (1.0, 1e308)])],
        ..LineChart::default()
    };
    assert!(matches!(
        write_line_chart(&overflowing, &dir.stem("overflow")),
        Err(PlotError::InvalidInput(_))
    ));
    for stem in ["", "/", "a/.."] {
        assert!(matches!(
            write_line_chart(&elo_chart("t"), Path::new(stem)),
            Err(PlotError::BadStem(_))
        ));
    }
    assert!(dir.listing().is_empty());
}

#[test]
fn missing_directory_is_an_io_error_naming_the_file() {
    let dir = Scratch::new("missing");
    let stem = dir.stem("no-such-dir").join("chart");
    match write_line_chart(&elo_chart("t"), &stem) {
        Err(PlotError::Io { path, .. }) => assert_eq!(path, dir.stem("no-such-dir/chart.png")),
        other => panic!("expected an I/O error, got {other:?}"),
    }
    assert!(dir.listing().is_empty());
}

#[test]
fn rewriting_replaces_the_files() {
    let dir = Scratch::new("rewrite");
    let stem = dir.stem("chart");
    write_line_chart(&elo_chart("first"), &stem).unwrap();
    write_line_chart(&elo_chart("second"), &stem).unwrap();
    let svg = fs::read_to_string(dir.stem("chart.svg")).unwrap();
    assert_svg_has(&svg, "second");
    assert!(!svg_texts(&svg).contains(&"first".to_string()));
    assert_eq!(dir.listing(), ["chart.png", "chart.svg"]);
}

#[test]
fn readers_never_see_a_partial_file() {
    // A reader polls the PNG while another thread rewrites it: every read must decode
    // completely. A plain create-and-write would hand the reader truncated files.
    let dir = Scratch::new("atomic");
    let stem = dir.stem("live");
    write_line_chart(&elo_chart("live"), &stem).unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let done = Arc::clone(&done);
        let path = dir.stem("live.png");
        std::thread::spawn(move || {
            let mut reads = 0;
            while !done.load(Ordering::Relaxed) {
                let img = Image::read(&path);
                assert_eq!((img.width, img.height), LINE_CHART_SIZE);
                reads += 1;
            }
            reads
        })
    };
    for i in 0..6 {
        write_line_chart(&elo_chart(&format!("live {i}")), &stem).unwrap();
    }
    done.store(true, Ordering::Relaxed);
    let reads = reader.join().expect("reader saw a broken PNG");
    assert!(reads > 0);
    assert_eq!(dir.listing(), ["live.png", "live.svg"]);
}

fn crosstable() -> HeatMap {
    let names = ["alphazero", "mcts:sims=100", "random"];
    HeatMap {
        title: "Crosstable".into(),
        row_labels: names.iter().map(|s| s.to_string()).collect(),
        col_labels: names.iter().map(|s| s.to_string()).collect(),
        values: vec![
            vec![None, Some(0.73), Some(0.99)],
            vec![Some(0.27), None, Some(0.9)],
            vec![Some(0.01), Some(0.1), None],
        ],
        value_range: (0.0, 1.0),
        cell_text: true,
    }
}

#[test]
fn heat_map_writes_labels_and_values() {
    let dir = Scratch::new("heat");
    let written = write_heat_map(&crosstable(), &dir.stem("crosstable")).unwrap();
    assert_eq!(dir.listing(), ["crosstable.png", "crosstable.svg"]);
    let png = Image::read(&written[0]);
    assert!(
        png.width >= 3 * 48 && png.height >= 3 * 48,
        "{}x{}",
        png.width,
        png.height
    );
    assert!(png.dark_pixels(0, 40) > 50, "title is drawn");
    let svg = fs::read_to_string(&written[1]).unwrap();
    for text in [
        "Crosstable",
        "alphazero",
        "mcts:sims=100",
        "random",
        "0.73",
        "0.01",
    ] {
        assert_svg_has(&svg, text);
    }

    // Without cell text the values are colours only.
    let plain = HeatMap {
        cell_text: false,
        ..crosstable()
    };
    let written = write_heat_map(&plain, &dir.stem("plain")).unwrap();
    let svg = fs::read_to_string(&written[1]).unwrap();
    assert!(!svg_texts(&svg).contains(&"0.73".to_string()));
}

#[test]
fn heat_map_size_follows_the_grid() {
    let dir = Scratch::new("heat-size");
    let square = |n: usize| HeatMap {
        row_labels: (0..n).map(|i| format!("a{i}")).collect(),
        col_labels: (0..n).map(|i| format!("a{i}")).collect(),
        values: vec![vec![Some(0.5); n]; n],
        value_range: (0.0, 1.0),
        ..HeatMap::default()
    };
    let small = Image::read(&write_heat_map(&square(3), &dir.stem("small")).unwrap()[0]);
    let large = Image::read(&write_heat_map(&square(40), &dir.stem("large")).unwrap()[0]);
    assert!(large.width > small.width && large.height > small.height);
    assert!(matches!(
        write_heat_map(&square(2000), &dir.stem("huge")),
        Err(PlotError::InvalidInput(_))
    ));
}

#[test]
fn awkward_heat_maps_draw_without_panicking() {
    let dir = Scratch::new("heat-awkward");
    let long = "a very long agent specification:with=many:parameters=1".to_string();
    let cases = [
        (
            "empty",
            HeatMap {
                value_range: (0.0, 1.0),
                ..HeatMap::default()
            },
        ),
        (
            "no-columns",
            HeatMap {
                row_labels: vec!["a".into()],
                values: vec![vec![]],
                value_range: (0.0, 1.0),
                ..HeatMap::default()
            },
        ),
        (
            "one-cell",
            HeatMap {
                row_labels: vec![String::new()],
                col_labels: vec![String::new()],
                values: vec![vec![Some(1e9)]],
                value_range: (-1.0, 1.0),
                cell_text: true,
                ..HeatMap::default()
            },
        ),
        (
            "all-missing",
            HeatMap {
                title: long.clone(),
                row_labels: vec![long.clone(), "b".into()],
                col_labels: vec![long.clone(), "b".into()],
                values: vec![vec![None, Some(f64::NAN)], vec![Some(f64::INFINITY), None]],
                value_range: (0.0, 1.0),
                cell_text: true,
            },
        ),
    ];
    for (name, map) in &cases {
        let written =
            write_heat_map(map, &dir.stem(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let png = Image::read(&written[0]);
        assert!(png.width > 0 && png.height > 0);
    }
    let svg = fs::read_to_string(dir.stem("empty.svg")).unwrap();
    assert_svg_has(&svg, "no data");
    let svg = fs::read_to_string(dir.stem("all-missing.svg")).unwrap();
    assert_svg_has(&svg, &long); // the title is not shortened
    assert_svg_has(&svg, "a very long agent speci…"); // labels are
}

#[test]
fn inconsistent_heat_maps_are_errors() {
    let dir = Scratch::new("heat-invalid");
    let too_few_rows = HeatMap {
        row_labels: vec!["a".into()],
        ..crosstable()
    };
    let ragged = HeatMap {
        values: vec![
            vec![None, Some(0.5), Some(0.5)],
            vec![Some(0.5), None],
            vec![Some(0.5), Some(0.5), None],
        ],
        ..crosstable()
    };
    let flat_range = HeatMap {
        value_range: (0.5, 0.5),
        ..crosstable()
    };
    let nan_range = HeatMap {
        value_range: (f64::NAN, 1.0),
        ..crosstable()
    };
    for (name, map) in [
        ("rows", too_few_rows),
        ("ragged", ragged),
        ("flat", flat_range),
        ("nan", nan_range),
    ] {
        let err = write_heat_map(&map, &dir.stem(name)).unwrap_err();
        assert!(matches!(err, PlotError::InvalidInput(_)), "{name}: {err}");
    }
    assert!(dir.listing().is_empty());
}
