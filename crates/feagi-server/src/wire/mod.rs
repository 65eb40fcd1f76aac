//! What goes over the sockets: FeagiByteContainer v4 frames ([`fbc`]) and
//! cortical ids as clients of FEAGI's current protocol spell them ([`ids`]).

pub mod fbc;
pub mod ids;
