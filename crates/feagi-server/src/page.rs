//! The live brain page: `GET /` on the REST port answers a page that needs
//! nothing installed (docs/SERVER.md, "The brain page").
//!
//! The files live in `crates/feagi-server/assets/` and are embedded in the
//! binary with `include_str!`; nothing is loaded from the internet. The page
//! reads the area table from the REST API, decodes the visualization stream
//! (FeagiByteContainer v4, type-11 XYZP) itself and draws on `<canvas>`
//! elements, without any library.

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// One embedded file: its name under `/assets/`, content type and bytes.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

/// The page itself, served at `/` and `/index.html`.
const INDEX: Asset = Asset {
    name: "index.html",
    content_type: "text/html; charset=utf-8",
    body: include_str!("../assets/index.html"),
};

/// Files served under `/assets/NAME`.
const ASSETS: &[Asset] = &[
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../assets/app.js"),
    },
    Asset {
        name: "fbc.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../assets/fbc.js"),
    },
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("../assets/app.css"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        body: include_str!("../assets/favicon.svg"),
    },
];

fn respond(asset: &Asset) -> Response {
    let mut response = (StatusCode::OK, asset.body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    // The files change only with the binary: let the browser revalidate.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// The embedded file `name` served under `/assets/`, if there is one.
fn find(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

async fn index() -> Response {
    respond(&INDEX)
}

async fn favicon() -> Response {
    asset_file(Path("favicon.svg".to_string())).await
}

async fn asset_file(Path(name): Path<String>) -> Response {
    match find(&name) {
        Some(a) => respond(a),
        None => {
            crate::rest::ApiError::new(StatusCode::NOT_FOUND, format!("no page asset {name:?}"))
                .into_response()
        }
    }
}

/// The page's routes: `/`, `/index.html`, `/favicon.ico` and
/// `/assets/{name}`, merged into the REST router.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(index))
        .route("/index.html", get(index))
        .route("/favicon.ico", get(favicon))
        .route("/assets/{name}", get(asset_file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_the_page_names_is_embedded() {
        let html = INDEX.body;
        for a in ASSETS {
            assert!(!a.body.is_empty(), "{} is empty", a.name);
        }
        for name in ["app.js", "app.css", "favicon.svg"] {
            assert!(
                html.contains(&format!("/assets/{name}")),
                "index.html does not load {name}"
            );
            assert!(find(name).is_some(), "{name} not embedded");
        }
        // app.js imports the decoder as a module.
        assert!(find("app.js").is_some_and(|a| a.body.contains("./fbc.js")));
        assert!(find("nope.js").is_none());
    }

    #[test]
    fn the_page_loads_nothing_from_elsewhere() {
        for a in ASSETS.iter().chain(std::iter::once(&INDEX)) {
            for scheme in ["http://", "https://", "//cdn"] {
                // The SVG names its XML namespace, which is not a load.
                let hits = a
                    .body
                    .match_indices(scheme)
                    .filter(|(i, _)| !a.body[..*i].ends_with("xmlns=\""))
                    .count();
                assert_eq!(hits, 0, "{} mentions {scheme}", a.name);
            }
        }
    }
}
