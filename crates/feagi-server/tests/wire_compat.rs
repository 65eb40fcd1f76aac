//! The wire format against the golden bytes of the research note
//! (`shared/research/feagi_interfaces.md` §2.4, docs/SERVER.md) and against
//! FEAGI's own crates at the versions Brain Visualizer 2.9.0 links
//! (feagi-serialization / feagi-structures 0.0.46).

use feagi_serialization::FeagiByteContainer;
use feagi_server::wire::fbc::{self, AreaNeurons};
use feagi_server::wire::ids::{self, AreaSpelling};
use feagi_structures::genomic::cortical_area::descriptors::CorticalUnitIndex;
use feagi_structures::genomic::cortical_area::io_cortical_area_configuration_flag::{
    FrameChangeHandling, PercentageNeuronPositioning,
};
use feagi_structures::genomic::cortical_area::CorticalID;
use feagi_structures::genomic::{MotorCorticalUnit, SensoryCorticalUnit};
use feagi_structures::neuron_voxels::xyzp::{
    CorticalMappedXYZPNeuronVoxels, NeuronVoxelXYZPArrays,
};
use feagi_types::AreaKind;

fn hex(text: &str) -> Vec<u8> {
    text.split_whitespace()
        .filter(|t| *t != "|")
        .map(|t| u8::from_str_radix(t, 16).unwrap())
        .collect()
}

/// Three neurons of legacy area `iv00_C`: (1,2,0,1.0), (3,4,0,1.0), (5,6,1,0.5).
fn golden_area() -> AreaNeurons {
    let mut a = AreaNeurons::new(*b"isviI\0\0\0");
    a.push([1, 2, 0], 1.0);
    a.push([3, 4, 0], 1.0);
    a.push([5, 6, 1], 0.5);
    a
}

const GOLDEN_STRUCT: &str = "0b 01 | 01 00 | 69 73 76 69 49 00 00 00 | 14 00 00 00 | 30 00 00 00 |
    01 00 00 00 03 00 00 00 05 00 00 00 | 02 00 00 00 04 00 00 00 06 00 00 00 |
    00 00 00 00 00 00 00 00 01 00 00 00 | 00 00 80 3f 00 00 80 3f 00 00 00 3f";

#[test]
fn golden_vectors_of_the_research_note() {
    let structure = hex(GOLDEN_STRUCT);
    assert_eq!(structure.len(), 68);
    let mut frame = vec![0x04, 0x00, 0x00, 0x01];
    frame.extend_from_slice(&[0u8; 48]);
    frame.extend_from_slice(&[0x44, 0, 0, 0]);
    frame.extend_from_slice(&structure);
    assert_eq!(frame.len(), 124);
    assert_eq!(fbc::xyzp_frame(0, &[&golden_area()]), frame);

    let mut empty = vec![0x04, 0x00, 0x00, 0x01];
    empty.extend_from_slice(&[0u8; 48]);
    empty.extend_from_slice(&hex("04 00 00 00 0b 01 00 00"));
    // The note's bytes, which are 60 (4 + 48 + 4 + 4); its text says "56 bytes".
    assert_eq!(empty.len(), 60);
    assert_eq!(fbc::xyzp_frame(0, &[]), empty);
}

#[test]
fn feagi_serialization_decodes_our_frames() {
    let mut other = AreaNeurons::new(*b"cArea___");
    other.push([0, 0, 0], 2.5);
    let frame = fbc::xyzp_frame(513, &[&golden_area(), &other]);
    let mut container = FeagiByteContainer::new_empty();
    container
        .try_write_data_by_copy_and_verify(&frame)
        .expect("FEAGI accepts the container");
    assert_eq!(container.get_increment_counter().unwrap(), 513);
    assert_eq!(container.try_get_number_contained_structures().unwrap(), 1);
    let decoded: CorticalMappedXYZPNeuronVoxels = container
        .try_create_new_struct_from_index(0)
        .unwrap()
        .try_into()
        .unwrap();
    assert_eq!(decoded.len(), 2);
    for area in [golden_area(), other] {
        let id = CorticalID::try_from_bytes(&area.id).unwrap();
        let neurons = decoded.get_neurons_of(&id).expect("area present");
        let (x, y, z, p) = neurons.borrow_xyzp_vectors();
        assert_eq!((x, y, z, p), (&area.x, &area.y, &area.z, &area.p));
    }
    // The empty frame too.
    let mut container = FeagiByteContainer::new_empty();
    container
        .try_write_data_by_copy_and_verify(&fbc::xyzp_frame(0, &[]))
        .unwrap();
    let decoded: CorticalMappedXYZPNeuronVoxels = container
        .try_create_new_struct_from_index(0)
        .unwrap()
        .try_into()
        .unwrap();
    assert_eq!(decoded.len(), 0);
}

#[test]
fn one_area_encodes_byte_for_byte_like_feagi_serialization() {
    let area = golden_area();
    let mut mapped = CorticalMappedXYZPNeuronVoxels::new();
    mapped.insert(
        CorticalID::try_from_bytes(&area.id).unwrap(),
        NeuronVoxelXYZPArrays::new_from_vectors(
            area.x.clone(),
            area.y.clone(),
            area.z.clone(),
            area.p.clone(),
        )
        .unwrap(),
    );
    let mut container = FeagiByteContainer::new_empty();
    container
        .overwrite_byte_data_with_single_struct_data(&mapped, 7)
        .unwrap();
    assert_eq!(
        container.get_byte_ref(),
        fbc::xyzp_frame(7, &[&area]).as_slice()
    );
    // And our decoder reads FEAGI's bytes.
    let ours = fbc::decode_container(container.get_byte_ref()).unwrap();
    assert_eq!(
        fbc::decode_xyzp_struct(ours.structs[0]).unwrap(),
        vec![area]
    );
}

#[test]
fn json_containers_match_feagi_serialization() {
    let json =
        serde_json::json!({"agent_registration": {"server_responds_deregistration": "success"}});
    let id = [9u8; 48];
    let ours = fbc::json_container(0, &id, &json);
    let mut container = FeagiByteContainer::new_empty();
    container.try_write_data_by_copy_and_verify(&ours).unwrap();
    let back: feagi_structures::FeagiJSON = container
        .try_create_new_struct_from_index(0)
        .unwrap()
        .try_into()
        .unwrap();
    assert_eq!(back.borrow_json_value(), &json);
    let mut header_id = [0u8; 48];
    header_id.copy_from_slice(&ours[4..52]);
    assert_eq!(header_id, id);
}

fn spelling(written: &str, kind: AreaKind) -> AreaSpelling<'_> {
    AreaSpelling {
        canonical: feagi_genome::parse_cortical_id(written).unwrap(),
        written,
        kind,
    }
}

#[test]
fn legacy_ids_map_as_feagi_structures_computes_them() {
    let g0: CorticalUnitIndex = 0u8.into();
    let svi = SensoryCorticalUnit::get_cortical_ids_array_for_segmented_vision_with_parameters(
        FrameChangeHandling::Absolute,
        g0,
    );
    let mot = MotorCorticalUnit::get_cortical_ids_array_for_rotary_motor_with_parameters(
        FrameChangeHandling::Absolute,
        PercentageNeuronPositioning::Linear,
        g0,
    );
    let gaz = MotorCorticalUnit::get_cortical_ids_array_for_gaze_with_parameters(
        FrameChangeHandling::Absolute,
        PercentageNeuronPositioning::Linear,
        g0,
    );
    let misc_in = |g: u8| {
        SensoryCorticalUnit::get_cortical_ids_array_for_misc_data_with_parameters(
            FrameChangeHandling::Absolute,
            g.into(),
        )[0]
        .as_base_64()
    };
    let misc_out = |g: u8| {
        MotorCorticalUnit::get_cortical_ids_array_for_misc_data_with_parameters(
            FrameChangeHandling::Absolute,
            g.into(),
        )[0]
        .as_base_64()
    };
    let areas = [
        spelling("iic000", AreaKind::Ipu),
        spelling("iic100", AreaKind::Ipu),
        spelling("iic800", AreaKind::Ipu),
        spelling("omot00", AreaKind::Opu),
        spelling("ogaz00", AreaKind::Opu),
        spelling("ogaz01", AreaKind::Opu),
        spelling("iv00TL", AreaKind::Ipu),
        spelling("iv00_C", AreaKind::Ipu),
        // Shorthands take misc groups in sorted order of their ids.
        spelling("o__mot", AreaKind::Opu),
        spelling("i__pro", AreaKind::Ipu),
        spelling("i__gyr", AreaKind::Ipu),
        spelling("iv00CC", AreaKind::Ipu),
        spelling("o__ser", AreaKind::Opu),
        spelling("_power", AreaKind::Core),
        spelling("cIHMot", AreaKind::Custom),
    ];
    let got: Vec<String> = ids::wire_ids(&areas).iter().map(ids::to_base64).collect();
    let want = [
        svi[0].as_base_64(),
        svi[1].as_base_64(),
        svi[8].as_base_64(),
        mot[0].as_base_64(),
        gaz[0].as_base_64(),
        gaz[1].as_base_64(),
        svi[6].as_base_64(),
        svi[4].as_base_64(),
        misc_out(0),
        misc_in(1),
        misc_in(0),
        misc_in(2),
        misc_out(1),
        "X19fcG93ZXI=".to_string(),
        ids::to_base64(b"cIHMot__"),
    ];
    assert_eq!(got, want);
    assert_eq!(got[7], "aXN2aUkAAAA=");
    // Every id FEAGI's CorticalID accepts.
    for id in ids::wire_ids(&areas) {
        CorticalID::try_from_bytes(&id).expect("a valid cortical id");
    }
}
