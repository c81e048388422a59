// What the patient page's modules share: the patient's id, the catalog read once, the user's role.
import { config, listAll } from "./api.js";

export const patientId = config.patient_id;
export const catalog = { conditions: [], therapyTypes: [], products: [], lots: [], locations: [], practitioners: [] };
export const byId = (rows, id) => rows.find((row) => row.id === id);
export const ACTIVE = ["booked", "checked_in"];
// Clinical forms are offered to those the API lets use them; the API still decides every request.
export const clinical = config.roles.includes("practitioner") || config.roles.includes("clinic_admin");

export function zoneOf(appointment) {
  return byId(catalog.locations, appointment.location).time_zone;
}

export async function loadCatalog() {
  const [conditions, therapyTypes, products, lots, locations, practitioners] = await Promise.all([
    listAll("conditions/"),
    listAll("therapy-types/"),
    listAll("products/"),
    listAll("product-lots/"),
    listAll("locations/"),
    listAll("practitioners/"),
  ]);
  Object.assign(catalog, { conditions, therapyTypes, products, lots, locations, practitioners });
}
