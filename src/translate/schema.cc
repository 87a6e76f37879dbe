// Tool and output schemas for each target. Gemini's `parameters` and `responseSchema`
// take an OpenAPI 3.0 subset and refuse the rest ($schema, additionalProperties, $ref,
// const, ...); OpenAI and Anthropic take JSON Schema but not Gemini's upper-case type
// names or its `nullable`.

#include <string>

#include "ir.h"
#include "sluice/core/json_string.h"

namespace sluice::translate::ir {
namespace {

using json::Value;

// The keywords of Gemini's Schema object.
bool gemini_keyword(std::string_view k) {
  for (std::string_view known :
       {"type",      "format",    "title",      "description", "nullable",      "enum",
        "maxItems",  "minItems",  "properties", "required",    "minProperties", "maxProperties",
        "minLength", "maxLength", "pattern",    "example",     "anyOf",         "propertyOrdering",
        "default",   "items",     "minimum",    "maximum"}) {
    if (k == known) return true;
  }
  return false;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// A local reference ("#/$defs/Name", "#/definitions/Name") resolved against the root.
const Value* resolve(const Value& root, std::string_view ref) {
  for (std::string_view prefix : {"#/$defs/", "#/definitions/"}) {
    if (ref.substr(0, prefix.size()) == prefix) {
      const Value* defs = json::object(&root, prefix.substr(2, prefix.size() - 3));
      return json::object(defs, ref.substr(prefix.size()));
    }
  }
  return nullptr;
}

struct Writer {
  const Value& root;
  ApiFlavor target;
  std::string& out;
  int refs_left = 64;  // a self-referencing schema is inlined this many times at most

  void schema(const Value& s, int depth, bool top) {
    if (!s.IsObject() || depth > 32) {
      out += "{}";
      return;
    }
    if (const Value* ref = json::member(&s, "$ref"); ref && ref->IsString()) {
      const Value* target_schema = resolve(root, json::string_of(ref));
      if (target_schema != nullptr && refs_left-- > 0) {
        schema(*target_schema, depth + 1, top);
        return;
      }
    }
    if (target == ApiFlavor::gemini) {
      gemini(s, depth);
    } else {
      json_schema(s, depth, top);
    }
  }

  void map_of_schemas(const Value& m, int depth) {
    out += '{';
    bool first = true;
    // `properties` that is not an object (a client's `false`) becomes an empty map.
    if (!m.IsObject()) {
      out += '}';
      return;
    }
    for (auto it = m.MemberBegin(); it != m.MemberEnd(); ++it) {
      if (!first) out += ',';
      first = false;
      core::append_json_string(out, {it->name.GetString(), it->name.GetStringLength()});
      out += ':';
      schema(it->value, depth + 1, false);
    }
    out += '}';
  }

  void list_of_schemas(const Value& a, int depth) {
    out += '[';
    bool first = true;
    for (const Value& e : a.GetArray()) {
      if (!first) out += ',';
      first = false;
      schema(e, depth + 1, false);
    }
    out += ']';
  }

  void enum_value(const Value& v) {
    if (v.IsString()) {
      json::append(out, v);
    } else {
      core::append_json_string(out, to_text(v));
    }
  }

  void gemini(const Value& s, int depth) {
    out += '{';
    Members o{out};
    bool nullable = false;
    for (auto it = s.MemberBegin(); it != s.MemberEnd(); ++it) {
      const std::string_view k(it->name.GetString(), it->name.GetStringLength());
      const Value& v = it->value;
      if (k == "type" && v.IsArray()) {
        // ["string","null"] → "string" with nullable; several types → the first.
        std::string_view chosen;
        for (const Value& t : v.GetArray()) {
          const std::string_view name = json::string_of(&t);
          if (name == "null") {
            nullable = true;
          } else if (chosen.empty()) {
            chosen = name;
          }
        }
        if (!chosen.empty()) core::append_json_string(o.key("type"), chosen);
      } else if (k == "type" && v.IsString() && json::string_of(&v) == "null") {
        nullable = true;
      } else if (k == "nullable") {
        nullable = v.IsBool() && v.GetBool();
      } else if (k == "const") {
        o.key("enum") += '[';
        enum_value(v);
        out += ']';
      } else if (k == "enum" && v.IsArray()) {
        // Gemini's enum lists strings only, numbers included ({type:INTEGER, enum:["1"]}).
        o.key("enum") += '[';
        bool first = true;
        for (const Value& e : v.GetArray()) {
          if (!first) out += ',';
          first = false;
          enum_value(e);
        }
        out += ']';
      } else if (k == "properties") {
        o.key("properties");
        map_of_schemas(v, depth);
      } else if (k == "items") {
        o.key("items");
        schema(v, depth + 1, false);
      } else if (k == "anyOf" || k == "oneOf") {
        if (v.IsArray()) {
          o.key("anyOf");
          list_of_schemas(v, depth);
        }
      } else if (gemini_keyword(k)) {
        json::append(o.key(k), v);
      }
    }
    if (nullable) o.key("nullable") += "true";
    out += '}';
  }

  void json_schema(const Value& s, int depth, bool top) {
    out += '{';
    Members o{out};
    bool nullable = false;
    bool has_type = false;
    std::string type;
    for (auto it = s.MemberBegin(); it != s.MemberEnd(); ++it) {
      const std::string_view k(it->name.GetString(), it->name.GetStringLength());
      const Value& v = it->value;
      if (k == "nullable") {
        nullable = v.IsBool() && v.GetBool();
      } else if (k == "propertyOrdering" || k == "$defs" || k == "definitions" || k == "$ref") {
        // Gemini-only ordering; local definitions are inlined where referenced.
      } else if (k == "type") {
        has_type = true;
        if (v.IsString()) {
          type = lower(json::string_of(&v));
        } else {
          json::append(o.key("type"), v);
        }
      } else if (k == "properties") {
        o.key(k);
        map_of_schemas(v, depth);
      } else if (k == "items" || k == "additionalProperties" || k == "not") {
        o.key(k);
        if (v.IsObject()) {
          schema(v, depth + 1, false);
        } else {
          json::append(out, v);
        }
      } else if ((k == "anyOf" || k == "oneOf" || k == "allOf") && v.IsArray()) {
        o.key(k);
        list_of_schemas(v, depth);
      } else {
        json::append(o.key(k), v);
      }
    }
    if (!type.empty()) {
      if (nullable) {
        o.key("type") += '[';
        core::append_json_string(out, type);
        out += R"(,"null"])";
      } else {
        core::append_json_string(o.key("type"), type);
      }
    } else if (!has_type && top) {
      o.key("type") += R"("object")";  // Anthropic requires a top-level object type
    }
    out += '}';
  }
};

}  // namespace

void append_schema(std::string& out, const Value& schema, ApiFlavor target) {
  Writer w{schema, target, out};
  w.schema(schema, 0, true);
}

void append_schema_text(std::string& out, std::string_view schema_text, ApiFlavor target) {
  json::Document doc;
  std::string error;
  if (!json::parse(schema_text, doc, error) || !doc.IsObject()) {
    out += R"({"type":"object"})";
    return;
  }
  append_schema(out, doc, target);
}

bool schema_has_properties(std::string_view schema_text) {
  json::Document doc;
  std::string error;
  if (!json::parse(schema_text, doc, error)) return false;
  const Value* properties = json::object(&doc, "properties");
  return properties != nullptr && properties->MemberCount() > 0;
}

}  // namespace sluice::translate::ir
