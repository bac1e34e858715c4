// tensor.cpp — see tensor.h.
#include "core/tensor.h"

namespace sotto {

std::string shape_str(const Shape& ne) {
  int n = 4;
  while (n > 1 && ne[n - 1] == 1) n--;
  std::string s = "[";
  for (int i = 0; i < n; i++) {
    if (i) s += ", ";
    s += std::to_string(ne[i]);
  }
  return s + "]";
}

}  // namespace sotto
