// The two standard accuracy measures of log parsing, as the Loghub benchmark defines them
// (Zhu et al., "Tools and Benchmarks for Automated Log Parsing", ICSE-SEIP 2019; Khan et al.,
// "Guidelines for Assessing the Accuracy of Log Message Template Identification Techniques",
// ICSE 2022).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace augur::eval {

// Grouping Accuracy: the fraction of lines whose predicted group (lines with the same
// `predicted` id) is exactly the set of lines sharing their ground-truth template. Both vectors
// have one entry per line; 0 when there are no lines.
double GroupingAccuracy(const std::vector<uint32_t>& predicted,
                        const std::vector<std::string>& truth);

// A template in the form both sides are compared in for Parsing Accuracy:
//  - whitespace runs become one space, and leading and trailing whitespace goes;
//  - a run of variables "<*>" joined by nothing, whitespace, or the separators ':' '/' '.' '-'
//    '_' '@' becomes one "<*>" ("<*> <*>", "<*>:<*>" and "<*>/<*>:<*>" all read "<*>"), because
//    where one value ends and the next begins (an address and its port, a date and its time) is a
//    matter of convention, not of what the event is.
std::string NormalizeTemplate(std::string_view text);

// Parsing Accuracy: the fraction of lines whose produced template equals the ground-truth
// template after NormalizeTemplate. 0 when there are no lines.
double ParsingAccuracy(const std::vector<std::string>& produced,
                       const std::vector<std::string>& truth);

}  // namespace augur::eval
