//! The names states are stored and shown by: each enum's serde name (`rename_all =
//! "snake_case"`), read and written through this one mapping, so a database column, the API and
//! the JSON all agree. A stored name no enum value has is an error naming the column, never a
//! default.

use serde::Serialize;
use serde::de::value::{Error as NameError, StrDeserializer};
use serde::de::{DeserializeOwned, IntoDeserializer};
use serde::ser::{Impossible, Serializer};
use sqlx::any::AnyRow;
use sqlx::{self, Row};

/// A stored name that stands for no value of its kind.
#[derive(Debug, thiserror::Error)]
#[error("column `{column}` holds `{value}`, which is not a known value")]
pub struct UnknownValue {
    /// The column read.
    pub column: String,
    /// What it held.
    pub value: String,
}

/// The name a unit variant is stored and shown by; empty for anything else.
pub fn name_of<T: Serialize>(value: &T) -> &'static str {
    value.serialize(NameOf).unwrap_or_default()
}

/// The value a name stands for, if any.
pub fn from_name<T: DeserializeOwned>(text: &str) -> Option<T> {
    let deserializer: StrDeserializer<'_, NameError> = text.into_deserializer();
    T::deserialize(deserializer).ok()
}

/// The value a name read from a column stands for, failing with [`UnknownValue`] when it stands
/// for nothing.
pub fn decode<T: DeserializeOwned>(column: &str, text: String) -> Result<T, sqlx::Error> {
    from_name(&text).ok_or_else(|| sqlx::Error::ColumnDecode {
        index: column.to_string(),
        source: Box::new(UnknownValue { column: column.to_string(), value: text }),
    })
}

/// Reads a column holding a name, failing with [`UnknownValue`] when it stands for nothing.
pub fn column<T: DeserializeOwned>(row: &AnyRow, column: &str) -> Result<T, sqlx::Error> {
    decode(column, row.try_get(column)?)
}

/// Reads a nullable column holding a name, as [`column`] does.
pub fn optional_column<T: DeserializeOwned>(row: &AnyRow, column: &str) -> Result<Option<T>, sqlx::Error> {
    let text: Option<String> = row.try_get(column)?;
    text.map(|text| decode(column, text)).transpose()
}

/// Serialises a unit variant to its static name, and refuses anything else.
struct NameOf;

fn refuse<T>() -> Result<T, NameError> {
    Err(serde::ser::Error::custom("not a unit variant"))
}

impl Serializer for NameOf {
    type Ok = &'static str;
    type Error = NameError;
    type SerializeSeq = Impossible<&'static str, NameError>;
    type SerializeTuple = Impossible<&'static str, NameError>;
    type SerializeTupleStruct = Impossible<&'static str, NameError>;
    type SerializeTupleVariant = Impossible<&'static str, NameError>;
    type SerializeMap = Impossible<&'static str, NameError>;
    type SerializeStruct = Impossible<&'static str, NameError>;
    type SerializeStructVariant = Impossible<&'static str, NameError>;

    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<Self::Ok, NameError> {
        Ok(variant)
    }
    fn serialize_bool(self, _: bool) -> Result<Self::Ok, NameError> {
        refuse()
    }
    fn serialize_i8(self, _: i8) -> Result<Self::Ok, NameError> {
        refuse()
    }
    fn serialize_i16(self, _: i16) -> Result<Self::Ok, NameError> {
        refuse()
    }
    fn serialize_i32(self, _: i32) -> Result<Self::Ok, NameError> {
        refuse()
    }
    fn serialize_i64(self, _: i64) -> Result<Self::Ok, NameError> {
        refuse()
    }
    fn serialize_u8(self, _: u8) -> Result<Self::Ok, NameError> {
        refuse()
    }
    fn serialize_u16(self, _: u16) -> Result<Self::Ok, NameError> {
        refuse()
    }
    fn serialize_u32(self, _: u32) -> Result<Self::Ok, NameError> {
        refuse()
    }
    fn serialize_u64(self, _: u64) -> Result<Self::Ok, NameError> {
        refuse()
    }
    fn serialize_f32(self, _: f32) -> Result<Self::Ok, NameError> {
        refuse()
    }
    fn serialize_f64(self, _: f64) -> Result<Self::Ok, NameError> {
        refuse()
    }
    fn serialize_char(self, _: char) -> Result<Self::Ok, NameError> {
        refuse()
    }
    fn serialize_str(self, _: &str) -> Result<Self::Ok, NameError> {
        refuse()
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<Self::Ok, NameError> {
        refuse()
    }
    fn serialize_none(self) -> Result<Self::Ok, NameError> {
        refuse()
    }
    fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result<Self::Ok, NameError> {
        refuse()
    }
    fn serialize_unit(self) -> Result<Self::Ok, NameError> {
        refuse()
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Self::Ok, NameError> {
        refuse()
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, _: &T) -> Result<Self::Ok, NameError> {
        refuse()
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Self::Ok, NameError> {
        refuse()
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, NameError> {
        refuse()
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, NameError> {
        refuse()
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct, NameError> {
        refuse()
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, NameError> {
        refuse()
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, NameError> {
        refuse()
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, NameError> {
        refuse()
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, NameError> {
        refuse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Status {
        Queued,
        WaitingForPerson,
    }

    #[test]
    fn a_name_reads_back_as_the_value_it_was_written_from() {
        for status in [Status::Queued, Status::WaitingForPerson] {
            assert_eq!(from_name::<Status>(name_of(&status)), Some(status));
        }
        assert_eq!(name_of(&Status::WaitingForPerson), "waiting_for_person");
        assert_eq!(from_name::<Status>("finished"), None);
        assert_eq!(name_of(&"text"), "");
    }
}
