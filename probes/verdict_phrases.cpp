// The built-in phrase lists (declared in verdict.hpp), as data. See docs/verdict.md for where
// they come from and how they are matched.
#include <array>
#include <memory>
#include <span>
#include <string_view>

#include "probes/verdict.hpp"
#include "probes/verdict_normalise.hpp"

namespace visionwatch {
namespace {

// From real replies (see docs/verdict.md): full phrases, not bare "no image", so a healthy
// answer that mentions images never matches. Matching normalises case, white space and
// typographic apostrophes.
constexpr auto no_image_phrases = std::to_array<std::string_view>({
    // English
    "no image provided",
    "no image was provided",
    "no image has been provided",
    "no image is provided",
    "no image attached",
    "no image was attached",
    "no image is attached",
    "no image has been attached",
    "no image uploaded",
    "no image was uploaded",
    "no image has been uploaded",
    "no image was shared",
    "no image has been shared",
    "no image was included",
    "no image included",
    "no image found",
    "no image to analyze",
    "no image to analyse",
    "no image to describe",
    "no image in your message",
    "please upload an image",
    "please upload the image",
    "please provide an image",
    "please provide the image",
    "please attach an image",
    "please attach the image",
    "please share an image",
    "please share the image",
    "please send the image",
    "please send an image",
    "i can't see an image",
    "i can't see the image",
    "i can't see any image",
    "i cannot see an image",
    "i cannot see the image",
    "i cannot see any image",
    "i can not see the image",
    "i don't see an image",
    "i don't see the image",
    "i don't see any image",
    "i do not see an image",
    "i do not see the image",
    "i do not see any image",
    "i can't view images",
    "i cannot view images",
    "i can't view the image",
    "i cannot view the image",
    "i'm unable to view images",
    "i am unable to view images",
    "i'm unable to view the image",
    "i am unable to view the image",
    "unable to see the image",
    "unable to analyze the image",
    "unable to analyse the image",
    "unable to view the image",
    "unable to process the image",
    "unable to access the image",
    "can't access the image",
    "cannot access the image",
    "not able to see the image",
    "there is no image",
    "there's no image",
    "there isn't an image",
    "there isn't any image",
    "there are no images",
    "didn't include an image",
    "did not include an image",
    "didn't attach an image",
    "did not attach an image",
    "haven't attached an image",
    "have not attached an image",
    "haven't uploaded an image",
    "have not uploaded an image",
    "haven't provided an image",
    "have not provided an image",
    "image wasn't included",
    "image was not included",
    "image is not attached",
    "image wasn't attached",
    "image was not attached",
    "image didn't come through",
    "image did not come through",
    "image didn't upload",
    "image did not upload",
    "i can't process images",
    "i cannot process images",
    "i can't analyze images",
    "i cannot analyze images",
    "i don't have the ability to see images",
    "i do not have the ability to see images",
    "i don't have the ability to view images",
    "i can only process text",
    "i'm a text-based",
    "i am a text-based",
    "as a text-based ai",
    "i don't have access to the image",
    "i do not have access to the image",
    "couldn't find an image",
    "could not find an image",
    "couldn't find any image",
    "could not find any image",
    "did not receive an image",
    "didn't receive an image",
    "did not receive any image",
    "didn't receive any image",
    "haven't received an image",
    "have not received an image",
    "got no image",
    "received no image",
    "no image was received",
    // Chinese (simplified and traditional)
    "无法识别图片",
    "没有图片",
    "没有看到图片",
    "没有看到任何图片",
    "没有收到图片",
    "没有上传图片",
    "未提供图片",
    "未上传图片",
    "未收到图片",
    "看不到图片",
    "看不到任何图片",
    "无法查看图片",
    "无法看到图片",
    "请上传图片",
    "请提供图片",
    "没有图像",
    "未提供图像",
    "无法查看图像",
    "请上传图像",
    "沒有圖片",
    "未提供圖片",
    "無法查看圖片",
    "請上傳圖片",
    // Spanish
    "no se proporcionó ninguna imagen",
    "no se ha proporcionado ninguna imagen",
    "no se adjuntó ninguna imagen",
    "no se ha adjuntado ninguna imagen",
    "no veo ninguna imagen",
    "no puedo ver la imagen",
    "no puedo ver ninguna imagen",
    "no hay ninguna imagen",
    "no hay imagen",
    "no recibí ninguna imagen",
    "no has adjuntado ninguna imagen",
    "por favor, sube una imagen",
    "por favor sube una imagen",
    "proporciona una imagen",
    // German
    "kein bild",
    "keine bilder",
    "ich kann das bild nicht sehen",
    "ich kann kein bild sehen",
    "ich sehe kein bild",
    "bitte lade ein bild hoch",
    "bitte laden sie ein bild hoch",
    // French
    "aucune image",
    "je ne vois pas d'image",
    "je ne vois pas l'image",
    "je ne peux pas voir l'image",
    "il n'y a pas d'image",
    "pas d'image jointe",
    "veuillez télécharger une image",
    "veuillez fournir une image",
    "veuillez joindre une image",
    // Japanese
    "画像が添付されていません",
    "画像が見つかりません",
    "画像が提供されていません",
    "画像がありません",
    "画像が見えません",
    "画像を確認できません",
    "画像を見ることができません",
    "画像をアップロードしてください",
    "画像を添付してください",
    // Portuguese, Russian, Korean
    "nenhuma imagem",
    "não vejo nenhuma imagem",
    "não consigo ver a imagem",
    "нет изображения",
    "не вижу изображения",
    "изображение не предоставлено",
    "изображение не прикреплено",
    "загрузите изображение",
    "이미지가 없습니다",
    "이미지를 볼 수 없습니다",
    "이미지가 첨부되지 않았습니다",
    "이미지를 업로드해 주세요",
});

constexpr auto refusal_phrases = std::to_array<std::string_view>({
    // English
    "i can't help with that",
    "i cannot help with that",
    "i can't assist with that",
    "i cannot assist with that",
    "i can't assist",
    "i cannot assist",
    "i'm sorry, but i can't",
    "i'm sorry, but i cannot",
    "i am sorry, but i cannot",
    "i'm sorry, i can't",
    "i'm sorry, i cannot",
    "sorry, i can't help",
    "sorry, but i can't",
    "i'm not able to help with",
    "i am not able to help with",
    "i'm unable to help with",
    "i am unable to help with",
    "i'm unable to assist",
    "i am unable to assist",
    "i won't be able to help",
    "i can't comply",
    "i cannot comply",
    "i must decline",
    "i can't provide assistance",
    "i cannot provide assistance",
    // Chinese
    "我无法协助",
    "我无法帮助",
    "我不能帮助",
    "我无法满足",
    "抱歉，我不能",
    "抱歉，我无法",
    "很抱歉，我无法",
    // Spanish
    "no puedo ayudar con eso",
    "no puedo ayudarte con eso",
    "lo siento, pero no puedo",
    // German
    "ich kann dabei nicht helfen",
    "ich kann ihnen dabei nicht helfen",
    "es tut mir leid, aber ich kann",
    // French
    "je ne peux pas vous aider",
    "je ne peux pas t'aider",
    "désolé, mais je ne peux pas",
    // Japanese
    "お手伝いできません",
    "お答えできません",
    "申し訳ありませんが、お手伝い",
});

std::vector<std::string> to_strings(std::span<const std::string_view> phrases) {
  return {phrases.begin(), phrases.end()};
}

}  // namespace

const std::vector<std::string>& default_no_image_phrases() {
  static const std::vector<std::string> phrases = to_strings(no_image_phrases);
  return phrases;
}

const std::vector<std::string>& default_refusal_phrases() {
  static const std::vector<std::string> phrases = to_strings(refusal_phrases);
  return phrases;
}

phrase_list::phrase_list(std::vector<std::string> items) {
  auto d = std::make_shared<data>();
  d->normalized.reserve(items.size());
  for (const auto& p : items) {
    d->normalized.push_back(verdict_detail::normalize(p));
  }
  d->items = std::move(items);
  data_ = std::move(d);
}

const phrase_list& default_no_image_phrase_list() {
  static const phrase_list list(default_no_image_phrases());
  return list;
}

const phrase_list& default_refusal_phrase_list() {
  static const phrase_list list(default_refusal_phrases());
  return list;
}

}  // namespace visionwatch
