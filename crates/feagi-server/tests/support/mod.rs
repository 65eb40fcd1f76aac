//! What the server test binaries share: extending the default genome with
//! areas, and a server on free ports.

use feagi_server::{start, RunningServer, ServerConfig};
use serde_json::{Map, Value};

/// The default genome's JSON, to extend before loading.
pub fn default_genome_json() -> Value {
    serde_json::from_str(feagi_genome::default_genome_json()).expect("the default genome is JSON")
}

/// Sets `genes` (short keys such as `cx-__name-t`) of area `id` in a genome's blueprint.
pub fn set_area_genes(genome: &mut Value, id: &str, genes: &[(&str, Value)]) {
    let blueprint: &mut Map<String, Value> = genome["blueprint"]
        .as_object_mut()
        .expect("a blueprint object");
    for (key, value) in genes {
        blueprint.insert(format!("_____10c-{id}-{key}"), value.clone());
    }
}

/// A server for `genome` on free ports, bursting at `hz` and streaming at
/// most `viz_hz` visualization frames per second.
pub async fn serve(genome: feagi_genome::Genome, hz: f64, viz_hz: f64) -> RunningServer {
    let config = ServerConfig {
        hz: Some(hz),
        viz_hz,
        ..ServerConfig::ephemeral()
    };
    start(config, genome, None)
        .await
        .expect("the server starts")
}

/// GET `path` from `server`'s REST port: the status, the content type ("" when
/// absent) and the body.
#[allow(dead_code)] // not every test binary fetches
pub async fn fetch(server: &RunningServer, path: &str) -> (u16, String, String) {
    let response = reqwest::get(format!("{}{path}", server.urls().rest))
        .await
        .expect("the server answers");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (
        status,
        content_type,
        response.text().await.unwrap_or_default(),
    )
}
