package config

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/go-viper/mapstructure/v2"
)

// ParseCameras reads cameras written in one string, as the cameras
// parameter, OSR_NODE_CAMERAS and --cameras take them: names separated by
// commas, each optionally with its topic (front=/front/image_raw or
// front:=/front/image_raw). Empty is no cameras (the one-camera node).
func ParseCameras(s string) ([]Camera, error) {
	var cams []Camera
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, topic, _ := strings.Cut(strings.Replace(item, ":=", "=", 1), "=")
		name, topic = strings.TrimSpace(name), strings.TrimSpace(topic)
		if name == "" {
			return nil, fmt.Errorf("cameras %q: %q has no name; write name or name=/camera/topic", s, item)
		}
		cams = append(cams, Camera{Name: name, Image: topic})
	}
	return cams, nil
}

// CamerasString writes cameras as ParseCameras reads them: the names, with
// the topics that are not the default <name>/image. Per-camera input
// kinds have no place in it.
func CamerasString(cams []Camera) string {
	var items []string
	for _, c := range cams {
		if c.Image == "" || c.Image == c.Name+"/image" {
			items = append(items, c.Name)
		} else {
			items = append(items, c.Name+"="+c.Image)
		}
	}
	return strings.Join(items, ",")
}

// camerasHook decodes node.cameras from a string (environment, flag) as
// well as from a YAML list.
func camerasHook(from, to reflect.Type, data any) (any, error) {
	if from.Kind() != reflect.String || to != reflect.TypeOf([]Camera(nil)) {
		return data, nil
	}
	return ParseCameras(data.(string))
}

// decodeHooks are viper's defaults with camerasHook first.
var decodeHooks = mapstructure.ComposeDecodeHookFunc(
	camerasHook,
	mapstructure.StringToTimeDurationHookFunc(),
	mapstructure.StringToSliceHookFunc(","),
)
