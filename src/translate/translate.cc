#include "sluice/translate/translate.h"

namespace sluice::translate {

RequestOut translate_request(ApiFlavor, ApiFlavor, std::string_view, const RequestOptions&) {
  RequestOut out;
  out.message = "format translation is not available yet";
  return out;
}

ResponseOut translate_response(ApiFlavor, ApiFlavor, std::string_view, const ResponseContext&) {
  ResponseOut out;
  out.message = "format translation is not available yet";
  return out;
}

ErrorOut translate_error(ApiFlavor, ApiFlavor client, int, std::string_view) {
  ErrorOut out;
  out.body = route::error_body(client, route::ErrorClass::upstream_error,
                               "the provider answered with an error");
  return out;
}

}  // namespace sluice::translate
