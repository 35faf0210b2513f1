"""Image and logo regions: cut-outs placed by fit and anchor, focal and saliency crops,
shadows, EXIF orientation, colour management, bounded inputs and the upscale finding."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from copyplate.errors import RenderError
from copyplate.layouts.loader import LoadedCampaign
from copyplate.renderers.copy.base import Layer
from copyplate.renderers.copy.imagery import ImageProblem, load_image, saliency_map
from tests.golden import assert_matches_golden
from tests.renderers.copy.helpers import campaign, render
from tests.renderers.copy.images import (
    cutout,
    exif_rotated,
    halves,
    jpeg,
    rgb_profile,
    salient_photo,
)

GOLDENS = Path(__file__).with_name("goldens")


def image_campaign(
    tmp: Path, files: dict[str, Image.Image | bytes], **region: Any
) -> LoadedCampaign:
    tmp.mkdir(parents=True, exist_ok=True)
    for name, im in files.items():
        if isinstance(im, bytes):
            (tmp / name).write_bytes(im)
        else:
            im.save(tmp / name)
    spec = {"id": "pic", "kind": "image", "box": {"x": 0.25, "y": 0.0, "w": 0.5, "h": 1.0}}
    spec.update(region)
    return campaign(tmp, [spec], {"en-US": {}})


def one_layer(lc: LoadedCampaign, plate: str = "#FFFFFF") -> tuple[Image.Image, Layer]:
    image, [layer] = render(lc, "en-US", plate_color=plate)
    return image, layer


def test_cutout_contain_is_anchored_and_keeps_its_alpha(tmp_path: Path) -> None:
    lc = image_campaign(
        tmp_path, {"p.png": cutout()}, src="p.png", fit="contain", anchor="bottom-left"
    )
    image, layer = one_layer(lc, "#3366AA")
    assert (layer.rect.w, layer.rect.h) == (400, 400)
    a = np.asarray(layer.image.getchannel("A"))
    x0, _y0, x1, y1 = layer.image.getchannel("A").getbbox() or (0, 0, 0, 0)
    # 300x500 contained in 400x400 is 240x400, sitting at the left; the bottle's foot
    # reaches the bottom edge and its shoulders leave transparent corners.
    assert y1 >= 395 and x0 >= 40 and x1 <= 200
    assert a[5, 5] == 0 and a[5, 395] == 0
    # Plate shows through where the product is transparent.
    assert image.getpixel((layer.rect.x + 5, 5)) == (0x33, 0x66, 0xAA)
    assert image.getpixel((layer.rect.x + 120, 300)) == (0xC8, 0x46, 0x2B)
    grid = layer.meta["alpha_grid"]
    assert len(grid) == 32 and grid[0][:4] == "0000" and "1" in grid[-2]
    assert layer.meta["scale"] == 0.8 and layer.findings[0].passed


def test_cutout_with_mask_file(tmp_path: Path) -> None:
    photo = Image.new("RGB", (200, 200), (20, 160, 60))
    mask = Image.new("L", (200, 200), 0)
    mask.paste(255, (50, 50, 150, 150))
    lc = image_campaign(
        tmp_path, {"p.jpg": jpeg(photo), "m.png": mask}, src="p.jpg", mask="m.png", fit="contain"
    )
    _, layer = one_layer(lc)
    a = np.asarray(layer.image.getchannel("A"))
    # 100x100 of mask, doubled, at the box's centre (resampling softens its edge a little).
    assert (a[105:295, 105:295] > 250).all() and a[:94].max() == 0 and a[:, :94].max() == 0
    assert "alpha_grid" in layer.meta


def test_contact_shadow_lies_under_the_product_only(tmp_path: Path) -> None:
    files = {"p.png": cutout()}
    plain = one_layer(image_campaign(tmp_path / "a", files, src="p.png", fit="contain"))[1]
    shadowed = one_layer(
        image_campaign(
            tmp_path / "b",
            files,
            src="p.png",
            fit="contain",
            anchor="top",
            shadow={"opacity": 0.5, "offset": 0.03},
        )
    )[1]
    a0 = np.asarray(plain.image.getchannel("A")).astype(int)
    a1 = np.asarray(shadowed.image.getchannel("A")).astype(int)
    grew = (a1 > a0 + 10) & (a0 == 0)
    ys, xs = np.nonzero(grew)
    assert len(ys) > 200
    # Below the foot of the bottle, under it, never above its middle; and dark.
    assert ys.min() > 300 and 80 < xs.mean() < 320
    rgb = np.asarray(shadowed.image)[..., :3][grew]
    assert rgb.max() < 40
    assert shadowed.meta["shadow"] is True


def test_focal_crop_golden(tmp_path: Path) -> None:
    lc = image_campaign(
        tmp_path, {"p.png": salient_photo()}, src="p.png", focal={"x": 0.8, "y": 0.5}
    )
    image, layer = one_layer(lc)
    # 1200x400 covering 400x400: a 400-wide window centred at x=960.
    assert layer.meta["crop"] == [760, 0, 400, 400]
    assert layer.meta["focal_source"] == "focal"
    assert_matches_golden(image, GOLDENS / "image_focal.png")


def test_saliency_crop_finds_the_object_and_repeats(tmp_path: Path) -> None:
    for at in (0.2, 0.8):
        lc = image_campaign(
            tmp_path / str(at), {"p.png": salient_photo(at=at)}, src="p.png", crop="saliency"
        )
        image, layer = one_layer(lc)
        fx, _ = layer.meta["focal"]
        assert layer.meta["focal_source"] == "saliency"
        assert abs(fx - at) < 0.1, (at, fx)
        x, _, w, _ = layer.meta["crop"]
        assert x <= at * 1200 - 80 and at * 1200 + 80 <= x + w  # the whole object in view
        again = one_layer(lc)[1]
        assert again.meta["crop"] == layer.meta["crop"]
        if at == 0.8:
            assert_matches_golden(image, GOLDENS / "image_saliency.png")
    # A centred crop would have cut the object at 0.8 out entirely.
    lc = image_campaign(tmp_path / "anchor", {"p.png": salient_photo()}, src="p.png")
    assert one_layer(lc)[1].meta["crop"] == [400, 0, 400, 400]


def test_faces_crop_without_faces_falls_back_to_saliency(tmp_path: Path) -> None:
    lc = image_campaign(tmp_path, {"p.png": salient_photo(at=0.8)}, src="p.png", crop="faces")
    _, layer = one_layer(lc)
    assert layer.meta["focal_source"].startswith("saliency")
    assert abs(layer.meta["focal"][0] - 0.8) < 0.1


def test_saliency_map_peaks_on_the_object() -> None:
    sal = saliency_map(salient_photo(at=0.25))
    col = sal.sum(axis=0)
    assert abs(int(np.argmax(col)) / len(col) - 0.25) < 0.1


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    (tmp_path / "r.jpg").write_bytes(exif_rotated(6))
    im = load_image(tmp_path / "r.jpg", "r.jpg")
    # Stored 200x100 left red / right blue, to be shown turned 90 degrees clockwise.
    assert im.size == (100, 200)
    r_top = im.getpixel((50, 20))
    b_bottom = im.getpixel((50, 180))
    assert r_top[0] > 200 > r_top[2] and b_bottom[2] > 200 > b_bottom[0]


def test_embedded_icc_profile_is_converted_to_srgb(tmp_path: Path) -> None:
    red = Image.new("RGB", (16, 16), (255, 0, 0))
    red.save(tmp_path / "swapped.png", icc_profile=rgb_profile(swap_red_blue=True))
    red.save(tmp_path / "plain.png")
    swapped = load_image(tmp_path / "swapped.png", "swapped.png").getpixel((8, 8))
    plain = load_image(tmp_path / "plain.png", "plain.png").getpixel((8, 8))
    # Its profile says those pixel values mean blue: the output is blue, alpha kept.
    assert swapped[2] > 240 and swapped[0] < 20 and swapped[3] == 255
    assert plain == (255, 0, 0, 255)
    # Alpha survives the conversion.
    rgba = cutout()
    rgba.save(tmp_path / "cut.png", icc_profile=rgb_profile(swap_red_blue=True))
    out = load_image(tmp_path / "cut.png", "cut.png")
    assert out.getchannel("A").getbbox() == rgba.getchannel("A").getbbox()
    assert out.getpixel((150, 400))[2] > out.getpixel((150, 400))[0]  # C8462B -> blueish


def test_cmyk_jpeg_becomes_rgb(tmp_path: Path) -> None:
    cmyk = Image.new("CMYK", (40, 40), (0, 255, 255, 0))  # full magenta + yellow: red
    (tmp_path / "c.jpg").write_bytes(jpeg(cmyk))
    with Image.open(tmp_path / "c.jpg") as raw:
        assert raw.mode == "CMYK"
    out = load_image(tmp_path / "c.jpg", "c.jpg")
    r, g, b, a = out.getpixel((20, 20))
    assert out.mode == "RGBA" and r > 230 and g < 30 and b < 30 and a == 255


def test_oversized_input_is_refused_before_decoding(tmp_path: Path) -> None:
    Image.new("1", (9000, 8000)).save(tmp_path / "big.png")
    with pytest.raises(ImageProblem, match=r"9000x8000; the limit is 64,000,000 pixels"):
        load_image(tmp_path / "big.png", "big.png")
    lc = image_campaign(tmp_path / "c", {"small.png": halves()}, src="small.png")
    (tmp_path / "c" / "small.png").write_bytes((tmp_path / "big.png").read_bytes())
    with pytest.raises(RenderError, match=r"region 'pic': image 'small.png' is 9000x8000"):
        one_layer(lc)


def test_upscaling_beyond_the_limit_is_a_finding(tmp_path: Path) -> None:
    lc = image_campaign(tmp_path, {"small.png": halves(100, 50)}, src="small.png", max_upscale=2)
    _, layer = one_layer(lc)
    [f] = layer.findings
    assert f.check == "image.resolution" and not f.passed and f.action == "fail"
    assert f.measured == 8.0 and "max_upscale is 2" in f.message
    ok = image_campaign(tmp_path / "ok", {"big.png": halves(1000, 500)}, src="big.png")
    assert one_layer(ok)[1].findings[0].passed


def test_path_leaving_the_campaign_folder_is_refused(tmp_path: Path) -> None:
    halves().save(tmp_path / "outside.png")
    lc = image_campaign(tmp_path / "c", {"in.png": halves()}, src="in.png")
    from copyplate.layouts.models import ImageRegion

    region = lc.campaign.regions[0]
    assert isinstance(region, ImageRegion)
    bad = region.model_copy(update={"src": "../outside.png"})
    lc.campaign.regions[0] = bad  # type: ignore[index]
    with pytest.raises(RenderError, match="leaves the campaign folder"):
        one_layer(lc)


def logo_files() -> dict[str, Image.Image | bytes]:
    def mark(color: tuple[int, int, int]) -> Image.Image:
        im = Image.new("RGBA", (200, 100), (0, 0, 0, 0))
        im.paste((*color, 255), (10, 10, 190, 90))
        return im

    return {"dark.png": mark((20, 20, 20)), "light.png": mark((245, 245, 245))}


@pytest.mark.parametrize(("plate", "want"), [("#101820", "light"), ("#F4F1EA", "dark")])
def test_logo_variant_follows_the_plate(tmp_path: Path, plate: str, want: str) -> None:
    files = logo_files()
    for name, im in files.items():
        assert isinstance(im, Image.Image)
        im.save(tmp_path / name)
    spec = {
        "id": "logo",
        "kind": "logo",
        "src": "dark.png",
        "variants": {"light": "light.png", "dark": "dark.png"},
        "box": {"x": 0.05, "y": 0.05, "w": 0.3, "h": 0.3},
        "clear_space": 0.5,
        "min_px": 40,
        "scale": 0.5,
        "anchor": "top-left",
    }
    lc = campaign(tmp_path, [spec], {"en-US": {}})
    _, layer = one_layer(lc, plate)
    assert layer.meta["variant"] == want and layer.meta["src"] == f"{want}.png"
    x, y, w, h = layer.meta["ink_box"]
    # 240x120 box at half scale: a 120x60 logo at the top-left, its ink inset by the margin.
    assert (x, y) == (40 + 6, 20 + 6) and (w, h) == (108, 48)
