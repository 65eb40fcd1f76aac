//! Device configurations: which IO areas a FEAGI agent's devices need, and
//! the areas the server creates when the brain lacks them.
//!
//! An agent sends its devices on the command and control channel as
//! `{"agent_configuration": {"AgentConfigurationDetails": DEFINITION}}`, where
//! DEFINITION is feagi-sensorimotor's `JSONInputOutputDefinition`:
//!
//! ```text
//! {"input_units_and_encoder_properties":  {UNIT: [[UNIT_DEFINITION, ENCODER], ...]},
//!  "output_units_and_decoder_properties": {UNIT: [[UNIT_DEFINITION, DECODER], ...]},
//!  "feedbacks": ...}
//! UNIT_DEFINITION: {"cortical_unit_index": GROUP, "device_grouping": [DEVICE, ...], ...}
//! ```
//!
//! FEAGI's server (feagi-api's `auto_create_cortical_areas_from_device_registrations`)
//! derives the ids of every area of each unit (group `cortical_unit_index`,
//! absolute frames, linear positioning) and creates the missing ones with the
//! unit template's default channel dimensions and relative position, named
//! `"<unit friendly name>-<group>-<sub-unit>"`; it skips units with no
//! device, units it does not know and groups above 255, and leaves existing
//! areas as they are (it has no resize). This module does the same with its
//! own copy of the templates of feagi-structures 0.0.49 (the version
//! feagi-rust-py-libs 0.0.120 links), in [`SENSOR_UNITS`] and [`MOTOR_UNITS`].

use feagi_types::AreaKind;
use serde_json::Value;

use crate::wire::ids;

/// Data type bits of an IO area id's flag (feagi-structures'
/// `IOCorticalAreaConfigurationFlag`, bits 0-3).
pub mod data_type {
    /// On or off.
    pub const BOOLEAN: u16 = 0;
    /// One unsigned percentage per channel.
    pub const PERCENTAGE: u16 = 1;
    /// Two percentages.
    pub const PERCENTAGE_2D: u16 = 2;
    /// Three percentages.
    pub const PERCENTAGE_3D: u16 = 3;
    /// One signed percentage.
    pub const SIGNED_PERCENTAGE: u16 = 5;
    /// Three signed percentages.
    pub const SIGNED_PERCENTAGE_3D: u16 = 7;
    /// Four signed percentages.
    pub const SIGNED_PERCENTAGE_4D: u16 = 8;
    /// An image plane.
    pub const CARTESIAN_PLANE: u16 = 9;
    /// Anything else.
    pub const MISC: u16 = 10;
}

/// Flag bit of incremental frame handling (bit 8).
pub const INCREMENTAL: u16 = 1 << 8;

/// One cortical area of a unit template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubUnit {
    /// Data type and frame bits of the area's id flag (sub-unit bits excluded).
    pub flag: u16,
    /// Default channel dimensions (W, H, D): the size FEAGI creates.
    pub dimensions: [u32; 3],
    /// Position relative to the brain's origin.
    pub position: [i32; 3],
}

/// A sensor or motor unit type: the areas one group of it needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnitTemplate {
    /// The name in device configurations (`"RotaryMotor"`).
    pub name: &'static str,
    /// The label of created areas (`"Rotary Motor"`).
    pub friendly_name: &'static str,
    /// The 3-byte unit code of its ids (`b"mot"`).
    pub code: [u8; 3],
    /// Its areas, by sub-unit index.
    pub areas: &'static [SubUnit],
}

const fn sub(flag: u16, dimensions: [u32; 3], position: [i32; 3]) -> SubUnit {
    SubUnit {
        flag,
        dimensions,
        position,
    }
}

const fn unit(
    name: &'static str,
    friendly_name: &'static str,
    code: &[u8; 3],
    areas: &'static [SubUnit],
) -> UnitTemplate {
    UnitTemplate {
        name,
        friendly_name,
        code: *code,
        areas,
    }
}

use data_type::*;

/// Sensor (input) units, as feagi-structures 0.0.49 defines them.
pub const SENSOR_UNITS: &[UnitTemplate] = &[
    unit(
        "Infrared",
        "Infrared Sensor",
        b"inf",
        &[sub(PERCENTAGE, [1, 1, 10], [10, 0, -20])],
    ),
    unit(
        "Proximity",
        "Proximity Sensor",
        b"pro",
        &[sub(PERCENTAGE, [1, 1, 10], [20, 0, -20])],
    ),
    unit(
        "Shock",
        "Shock sensor",
        b"shk",
        &[sub(PERCENTAGE, [1, 1, 10], [30, 0, -20])],
    ),
    unit(
        "Battery",
        "Battery Sensor",
        b"bat",
        &[sub(PERCENTAGE, [1, 1, 10], [40, 0, -20])],
    ),
    unit(
        "Servo",
        "Servo Encoder",
        b"svm",
        &[sub(PERCENTAGE, [1, 1, 20], [25, 0, -10])],
    ),
    unit(
        "AnalogGPIO",
        "Analog GPIO Sensor",
        b"agp",
        &[sub(PERCENTAGE, [8, 8, 1], [60, 0, -10])],
    ),
    unit(
        "DigitalGPIO",
        "Digital GPIO Sensor",
        b"dgp",
        &[sub(BOOLEAN, [1, 1, 1], [70, 0, -10])],
    ),
    unit(
        "MiscData",
        "Miscellaneous Input",
        b"mis",
        &[sub(MISC, [8, 8, 1], [220, 0, -30])],
    ),
    unit(
        "TextEnglishInput",
        "Text Input (English)",
        b"ten",
        &[sub(MISC, [1, 1, 16], [70, 0, -100])],
    ),
    unit(
        "CountInput",
        "Count Input",
        b"cnt",
        &[sub(PERCENTAGE, [1, 1, 10], [110, 0, -30])],
    ),
    unit(
        "Vision",
        "Simple Vision",
        b"img",
        &[sub(CARTESIAN_PLANE, [128, 128, 3], [-100, 30, 0])],
    ),
    unit(
        "DepthMap",
        "Depth Map",
        b"dpt",
        &[sub(MISC, [64, 64, 1], [-140, 30, 0])],
    ),
    unit(
        "ObjectSegmentationInput",
        "Object Segmentation",
        b"seg",
        &[sub(MISC, [32, 32, 1], [-170, 0, 0])],
    ),
    unit(
        "SegmentedVision",
        "Segmented Vision",
        b"svi",
        &[
            sub(CARTESIAN_PLANE, [32, 32, 1], [-70, -70, 0]),
            sub(CARTESIAN_PLANE, [32, 32, 1], [60, -70, 0]),
            sub(CARTESIAN_PLANE, [32, 32, 1], [150, -70, 0]),
            sub(CARTESIAN_PLANE, [32, 32, 1], [-70, 60, 0]),
            sub(CARTESIAN_PLANE, [128, 128, 3], [0, 0, 0]),
            sub(CARTESIAN_PLANE, [32, 32, 1], [150, 60, 0]),
            sub(CARTESIAN_PLANE, [32, 32, 1], [-70, 150, 0]),
            sub(CARTESIAN_PLANE, [32, 32, 1], [60, 150, 0]),
            sub(CARTESIAN_PLANE, [32, 32, 1], [150, 150, 0]),
        ],
    ),
    unit(
        "RawIMU",
        "Raw IMU",
        b"rim",
        &[
            sub(SIGNED_PERCENTAGE_3D, [6, 1, 10], [70, 0, -10]),
            sub(SIGNED_PERCENTAGE_3D, [6, 1, 10], [80, 0, -10]),
            sub(SIGNED_PERCENTAGE_3D, [6, 1, 10], [90, 0, -10]),
        ],
    ),
    unit(
        "SmartIMU",
        "Smart IMU",
        b"sim",
        &[sub(SIGNED_PERCENTAGE_4D, [8, 1, 10], [100, 0, -10])],
    ),
    unit(
        "CartesianPosition",
        "Cartesian Position Sensor",
        b"cpo",
        &[sub(PERCENTAGE_3D, [3, 1, 100], [115, 0, -10])],
    ),
    unit(
        "AudioInput",
        "Audio Input",
        b"aud",
        &[sub(MISC, [513, 16, 1], [-100, -60, 0])],
    ),
];

/// Motor (output) units, as feagi-structures 0.0.49 defines them. Pose
/// estimation is missing: its ids need a pose schema FEAGI's auto-creation
/// does not supply either.
pub const MOTOR_UNITS: &[UnitTemplate] = &[
    unit(
        "RotaryMotor",
        "Rotary Motor",
        b"mot",
        &[sub(SIGNED_PERCENTAGE, [1, 1, 9], [-20, 0, -10])],
    ),
    unit(
        "PositionalServo",
        "Positional Servo",
        b"pse",
        &[
            sub(PERCENTAGE, [1, 1, 20], [-20, 0, -10]),
            sub(PERCENTAGE | INCREMENTAL, [2, 1, 20], [-40, 0, -10]),
            sub(PERCENTAGE, [1, 1, 20], [-60, 0, -10]),
        ],
    ),
    unit(
        "Gaze",
        "Gaze Control",
        b"gaz",
        &[
            sub(PERCENTAGE_2D, [8, 8, 1], [10, 0, -10]),
            sub(PERCENTAGE, [1, 1, 10], [0, 0, -10]),
        ],
    ),
    unit(
        "MiscData",
        "Miscellaneous Output",
        b"mis",
        &[sub(MISC, [8, 8, 1], [300, 0, -30])],
    ),
    unit(
        "TextEnglishOutput",
        "Text Output (English)",
        b"ten",
        &[sub(MISC, [1, 1, 16], [85, 0, -100])],
    ),
    unit(
        "CountOutput",
        "Count Output",
        b"cnt",
        &[sub(PERCENTAGE, [1, 1, 10], [175, 0, -30])],
    ),
    unit(
        "ObjectSegmentation",
        "Object Segmentation",
        b"seg",
        &[sub(MISC, [32, 32, 1], [-200, 0, 0])],
    ),
    unit(
        "SimpleVisionOutput",
        "Simple Vision",
        b"img",
        &[sub(CARTESIAN_PLANE, [128, 128, 3], [-240, 60, -20])],
    ),
    unit(
        "DynamicImageProcessing",
        "Image Enhancements",
        b"ifs",
        &[sub(PERCENTAGE, [3, 1, 10], [0, 0, 0])],
    ),
    unit(
        "SpatialPointer",
        "Spatial Pointer",
        b"ptr",
        &[sub(PERCENTAGE_3D, [3, 1, 10], [130, 0, -10])],
    ),
    unit(
        "AngularPointer",
        "Angular Pointer",
        b"ang",
        &[sub(SIGNED_PERCENTAGE_3D, [3, 1, 10], [175, 0, -10])],
    ),
    unit(
        "AudioOutput",
        "Audio Output",
        b"aud",
        &[sub(MISC, [513, 16, 1], [-240, -60, -20])],
    ),
];

/// The 8-byte id of sub-unit `sub_unit` of group `group` of a unit.
pub fn area_id(input: bool, template: &UnitTemplate, sub_unit: usize, group: u16) -> [u8; 8] {
    let flag = template.areas.get(sub_unit).map_or(0, |s| s.flag);
    ids::io_id_with_flag(input, &template.code, flag, sub_unit as u8, group)
}

/// An IO area a device configuration asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct AreaRequest {
    /// Its 8-byte wire id.
    pub wire_id: [u8; 8],
    /// Input or output.
    pub kind: AreaKind,
    /// `"Rotary Motor-0-0"`: unit, group, sub-unit.
    pub name: String,
    /// Grid (W, H, D).
    pub dimensions: [u32; 3],
    /// Position of its corner.
    pub position: [i32; 3],
}

/// What a device configuration asks for, and what in it was not understood.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DevicePlan {
    /// Every area of every unit, in the order of the configuration.
    pub areas: Vec<AreaRequest>,
    /// One line per unit that was skipped, and why.
    pub skipped: Vec<String>,
}

/// Reads a device configuration: the `AgentConfigurationDetails` object (or
/// the whole `agent_configuration` value holding it).
pub fn plan(config: &Value) -> DevicePlan {
    let details = config.get("AgentConfigurationDetails").unwrap_or(config);
    let mut out = DevicePlan::default();
    for (key, input, templates) in [
        ("input_units_and_encoder_properties", true, SENSOR_UNITS),
        ("output_units_and_decoder_properties", false, MOTOR_UNITS),
    ] {
        let Some(units) = details.get(key).and_then(Value::as_object) else {
            continue;
        };
        for (name, entries) in units {
            let Some(template) = templates.iter().find(|t| t.name == name) else {
                out.skipped
                    .push(format!("{key}: unit {name:?} is not known"));
                continue;
            };
            let Some(entries) = entries.as_array() else {
                out.skipped
                    .push(format!("{key}.{name}: not an array of [unit, properties]"));
                continue;
            };
            for entry in entries {
                let definition = entry.as_array().and_then(|pair| pair.first());
                let Some(group) = definition
                    .and_then(|d| d.get("cortical_unit_index"))
                    .and_then(Value::as_u64)
                    .and_then(|g| u8::try_from(g).ok())
                else {
                    out.skipped.push(format!(
                        "{key}.{name}: an entry without a cortical_unit_index of 0..=255"
                    ));
                    continue;
                };
                let devices = definition
                    .and_then(|d| d.get("device_grouping"))
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                if devices == 0 {
                    out.skipped
                        .push(format!("{key}.{name} group {group}: no device"));
                    continue;
                }
                for (i, sub_unit) in template.areas.iter().enumerate() {
                    out.areas.push(AreaRequest {
                        wire_id: area_id(input, template, i, u16::from(group)),
                        kind: if input { AreaKind::Ipu } else { AreaKind::Opu },
                        name: format!("{}-{group}-{i}", template.friendly_name),
                        dimensions: sub_unit.dimensions,
                        position: sub_unit.position,
                    });
                }
            }
        }
    }
    out
}

/// Asks the loop for the areas of `config` (a device configuration) that
/// the brain lacks; returns how many. Units that are not understood are
/// logged once. The loop creates the areas before its next burst; callers
/// do not wait for it (FEAGI answers at once too, and agents check the
/// areas over REST).
pub fn request_missing_areas(s: &crate::state::ServerState, config: &Value) -> usize {
    let plan = plan(config);
    for why in &plan.skipped {
        if s.warned.first(&format!("devices:{why}")) {
            tracing::warn!("device configuration: {why}; skipped (logged once)");
        }
    }
    let brain = s.brain();
    let missing: Vec<AreaRequest> = plan
        .areas
        .into_iter()
        .filter(|a| {
            brain
                .find_wire(&crate::wire::ids::to_base64(&a.wire_id))
                .is_none()
        })
        .collect();
    let n = missing.len();
    s.engine.request_areas(missing);
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_python_sdk_rotary_motor_configuration() {
        // What feagi-core 2.6.10's brain_output sends for one RotaryMotor.
        let config = json!({"AgentConfigurationDetails": {
            "feedbacks": {"registered_feedbacks": []},
            "input_units_and_encoder_properties": {},
            "output_units_and_decoder_properties": {"RotaryMotor": [[
                {"cortical_unit_index": 0, "device_grouping": [{"channel_index_override": null,
                 "device_properties": {}, "friendly_name": "RotaryMotor_0_ch0", "pipeline_stages": []}],
                 "friendly_name": "RotaryMotor_0",
                 "io_configuration_flags": {"frame_change_handling": "Absolute", "percentage_neuron_positioning": "Linear"}},
                {"Percentage": [{"value": 9}, "Linear", true, "D1"]}]]}}});
        let plan = plan(&config);
        assert!(plan.skipped.is_empty(), "{:?}", plan.skipped);
        assert_eq!(plan.areas.len(), 1);
        let a = &plan.areas[0];
        // The id the SDK then looks up: "b21vdAUAAAA=".
        assert_eq!(ids::to_base64(&a.wire_id), "b21vdAUAAAA=");
        assert_eq!(a.kind, AreaKind::Opu);
        assert_eq!(a.dimensions, [1, 1, 9]);
        assert_eq!(a.name, "Rotary Motor-0-0");
    }

    #[test]
    fn segmented_vision_and_servo_ids_match_feagi() {
        let sv = SENSOR_UNITS
            .iter()
            .find(|t| t.name == "SegmentedVision")
            .unwrap();
        // The SDK's camera sends tile 4 (the centre) as "isvi" 0x49 0x00, group 0.
        assert_eq!(ids::to_base64(&area_id(true, sv, 4, 0)), "aXN2aUkAAAA=");
        let servo = MOTOR_UNITS
            .iter()
            .find(|t| t.name == "PositionalServo")
            .unwrap();
        assert_eq!(&area_id(false, servo, 1, 2), b"opse\x11\x01\x02\x00");
    }

    #[test]
    fn hostile_configurations_are_skipped() {
        for config in [
            json!(null),
            json!([1, 2]),
            json!({"output_units_and_decoder_properties": {"Teleporter": [[{"cortical_unit_index": 0, "device_grouping": [{}]}, {}]]}}),
            json!({"output_units_and_decoder_properties": {"RotaryMotor": "x"}}),
            json!({"output_units_and_decoder_properties": {"RotaryMotor": [[{"cortical_unit_index": 999, "device_grouping": [{}]}, {}]]}}),
            json!({"output_units_and_decoder_properties": {"RotaryMotor": [[{"cortical_unit_index": 0, "device_grouping": []}, {}]]}}),
            json!({"output_units_and_decoder_properties": {"RotaryMotor": [7, [], {}]}}),
        ] {
            assert!(plan(&config).areas.is_empty(), "{config}");
        }
    }
}
